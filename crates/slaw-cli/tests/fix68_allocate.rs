//! A profile method whose exponent the budgets do not determine (probe67
//! finding 9): `allocate --method all` on an isoFLOP grid from a known law
//! whose third budget's sizes stop just below its optimum, so that the
//! envelope (the best run, here the budget's largest: left out) rests on 2
//! budgets. Its exponent is a line through 2 points: it is flagged, warned
//! about, its rows past its budgets marked "?", and it is left out of the
//! exponent spread, the interval verdict and max/min; isoflop (3 budgets)
//! and the parametric law are compared as before.

mod common;
use common::{json_of, slaw, warnings, write};
use tempfile::TempDir;

/// Noise-free runs of L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28 at C = 6ND:
/// budgets 1e19 and 1e20 sample N_opt x 1/4 .. 4, and (with `third`) 1e21
/// samples N_opt x 1/3.5 .. 1/1.02 (its best run is its largest size; the
/// profile's minimum lies just past it).
fn grid(third: bool) -> String {
    let (a, alpha, b, beta, e) = (406.4f64, 0.34f64, 410.7f64, 0.28f64, 1.69f64);
    let g = (alpha * a / (beta * b)).powf(1.0 / (alpha + beta));
    let mut s = String::from("budget,N,tokens,flops,loss\n");
    let mut budgets = vec![
        (1e19, vec![0.25, 0.5, 1.0, 2.0, 4.0]),
        (1e20, vec![0.25, 0.5, 1.0, 2.0, 4.0]),
    ];
    if third {
        budgets.push((
            1e21,
            vec![1.0 / 3.5, 1.0 / 2.2, 1.0 / 1.6, 1.0 / 1.25, 1.0 / 1.02],
        ));
    }
    for (c, factors) in budgets {
        let n_opt = g * (c / 6.0f64).powf(beta / (alpha + beta));
        for f in factors {
            let n = n_opt * f;
            let d = c / (6.0 * n);
            let l = e + a / n.powf(alpha) + b / d.powf(beta);
            s += &format!("{c:e},{n:.6e},{d:.6e},{c:e},{l:.8}\n");
        }
    }
    s
}

fn allocate(file: &str, extra: &[&str]) -> std::process::Output {
    slaw()
        .args([
            "allocate",
            file,
            "--d-col",
            "tokens",
            "--flops-col",
            "flops",
            "--budget-col",
            "budget",
            "--method",
            "all",
            "--budget",
            "1e20",
            "--budget",
            "1e23",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn an_envelope_on_two_budgets_is_left_out_of_the_comparison() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "grid.csv", &grid(true));
    let v = json_of(&allocate(&f, &["--bootstrap", "200", "--json"]));
    let g = &v[0];
    assert_eq!(g["envelope"]["used"], 2, "{}", g["envelope"]);
    assert_eq!(g["isoflop"]["used"], 3, "{}", g["isoflop"]);
    assert_eq!(g["envelope"]["exponent_not_determined"], true);
    assert_eq!(g["isoflop"]["exponent_not_determined"], false);
    // The envelope's rows: 1e20 lies inside its budgets (not marked), 1e23
    // outside (marked); isoflop's and the parametric rows are not marked.
    let env = g["envelope"]["rows"].as_array().unwrap();
    assert_eq!(env[0]["growth_not_determined"], false);
    assert_eq!(env[1]["growth_not_determined"], true);
    for m in ["isoflop", "parametric"] {
        for row in g[m]["rows"].as_array().unwrap() {
            assert_eq!(row["growth_not_determined"], false, "{m}: {row}");
        }
    }
    // The comparison is the parametric law's and isoflop's only.
    let d = &g["disagreement"];
    assert_eq!(d["left_out"], serde_json::json!(["envelope"]), "{d}");
    let ex = d["exponents"].as_array().unwrap();
    let names: Vec<&str> = ex.iter().map(|e| e[0].as_str().unwrap()).collect();
    assert_eq!(names, ["parametric", "isoflop"], "{d}");
    let a = |m: &str| g[m]["exponent_n"].as_f64().unwrap();
    let spread = d["spread"].as_f64().unwrap();
    assert!(
        (spread - (a("parametric") - a("isoflop")).abs()).abs() < 1e-12,
        "{d}"
    );
    // max/min at 1e23: isoflop's N_opt against the parametric one, not the envelope's.
    let n = |m: &str| g[m]["rows"][1]["n_opt"].as_f64().unwrap();
    let ratio = d["n_ratio"][1][1].as_f64().unwrap();
    let want = n("parametric").max(n("isoflop")) / n("parametric").min(n("isoflop"));
    assert!((ratio - want).abs() < 1e-9 * want, "{ratio} vs {want}");
    let w = warnings(g);
    assert!(
        w.iter().any(
            |w| w.starts_with("envelope: its exponent a rests on 2 budgets")
                && w.contains("left out of the methods' exponent spread")
        ),
        "{w:?}"
    );
    assert!(
        !w.iter().any(|w| w.starts_with("isoflop: its exponent")),
        "{w:?}"
    );

    // The text says it where the numbers are.
    let out = allocate(&f, &["--bootstrap", "200"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let env_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("envelope "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(env_line.contains("not determined"), "{text}");
    assert!(
        text.contains("(envelope left out: its exponent is not determined, see the warning)"),
        "{text}"
    );
    // The N_opt table's row at 1e23 (the first of the two): the envelope's
    // cell marked, the others not.
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("1e23 "))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(row.matches("? (extrap.)").count(), 1, "{row}");
    assert!(
        text.contains("?: not determined by the runs (envelope: its exponent a is not determined by its budgets"),
        "{text}"
    );
    // Without a bootstrap the 2 budgets are still no determination.
    let v = json_of(&allocate(&f, &["--bootstrap", "0", "--json"]));
    assert_eq!(v[0]["envelope"]["exponent_not_determined"], true);
    assert_eq!(v[0]["isoflop"]["exponent_not_determined"], false);
    assert_eq!(
        v[0]["disagreement"]["left_out"],
        serde_json::json!(["envelope"])
    );
}

/// Two budgets: both profile methods rest on 2 and are left out; with the
/// parametric law alone nothing is compared (no spread, no max/min).
#[test]
fn with_one_determined_method_there_is_no_comparison() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "grid.csv", &grid(false));
    let v = json_of(&allocate(&f, &["--bootstrap", "100", "--json"]));
    let g = &v[0];
    for m in ["isoflop", "envelope"] {
        assert_eq!(g[m]["used"], 2, "{m}");
        assert_eq!(g[m]["exponent_not_determined"], true, "{m}");
        assert_eq!(g[m]["rows"][1]["growth_not_determined"], true, "{m}");
    }
    assert!(g["disagreement"].is_null(), "{}", g["disagreement"]);
    let w = warnings(g);
    for m in ["isoflop", "envelope"] {
        assert!(
            w.iter()
                .any(|w| w.starts_with(&format!("{m}: its exponent a rests on 2 budgets"))),
            "{w:?}"
        );
    }
    let out = allocate(&f, &["--bootstrap", "100"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("exponents span"), "{text}");
    // the N_opt table has no max/min column
    let header = text
        .lines()
        .find(|l| l.trim_start().starts_with("C (FLOPs)"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(!header.contains("max/min"), "{header}");
    assert!(
        text.contains("?: not determined by the runs (isoflop, envelope: its exponent a is not determined by its budgets"),
        "{text}"
    );
}
