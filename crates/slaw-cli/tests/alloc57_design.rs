//! `slaw allocate --method isoflop|all` on runs whose model sizes do not
//! move with compute (probe56 1): the design check names the cause, the
//! isoflop intervals read "not determined", the rows are marked in the
//! table and the JSON; a well-placed grid gets none of it; a budget of
//! exactly 10x the runs' compute is marked `(extrap.)` in no column
//! (probe56 7).

mod common;

use common::{slaw, write};
use tempfile::TempDir;

/// Recipe: Hoffmann et al.'s law L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28
/// (N_opt(1e18) = 8.1e7 .. N_opt(1e21) = 1.8e9), 7 budgets C = 1e18, 3e18,
/// .. 1e21, D = C/(6N), a deterministic +-0.5% wiggle on the loss.
/// `narrow`: every budget at the same 5 sizes 2e8 .. 8e8 (a 4x window that
/// misses N_opt at both ends); otherwise 9 sizes N_opt/8 .. 8 N_opt at
/// each budget (well placed).
fn runs(narrow: bool) -> String {
    let (e, a, alpha, b, beta): (f64, f64, f64, f64, f64) = (1.69, 406.4, 0.34, 410.7, 0.28);
    let g = (alpha * a / (beta * b)).powf(1.0 / (alpha + beta));
    let ex = beta / (alpha + beta);
    let mut s = String::from("N,D,C,budget,loss\n");
    let mut k = 0u64;
    for c in [1e18, 3e18, 1e19, 3e19, 1e20, 3e20, 1e21f64] {
        let n_opt = g * (c / 6.0).powf(ex);
        let sizes: Vec<f64> = if narrow {
            (0..5).map(|i| 2e8 * 4f64.powf(i as f64 / 4.0)).collect()
        } else {
            (0..9)
                .map(|i| n_opt * 8f64.powf((i as f64 - 4.0) / 4.0))
                .collect()
        };
        for n in sizes {
            let d = c / (6.0 * n);
            let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            k += 1;
            let l = (e + a / n.powf(alpha) + b / d.powf(beta)) * (1.0 + 0.01 * u);
            s += &format!("{n:.6e},{d:.6e},{c:e},{c:e},{l:.6}\n");
        }
    }
    s
}

fn allocate(file: &str, more: &[&str]) -> (String, std::process::ExitStatus) {
    let out = slaw()
        .args(["allocate", file, "--n-col", "N", "--d-col", "D"])
        .args(["--flops-col", "C", "--budget-col", "budget"])
        .args(["--seed", "3", "--bootstrap", "100"])
        .args(more)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (text, out.status)
}

#[test]
fn fixed_narrow_sizes_are_named_and_the_isoflop_intervals_not_determined() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "narrow.csv", &runs(true));
    let (text, _) = allocate(&f, &["--method", "all", "--budget", "1e21"]);
    assert!(
        text.contains(
            "isoflop: the sizes do not move with compute (every budget samples the same model sizes)"
        ),
        "{text}"
    );
    assert!(
        text.contains("Train sizes that bracket the minimum at each budget"),
        "{text}"
    );
    let iso = text
        .lines()
        .find(|l| l.trim_start().starts_with("isoflop "))
        .unwrap();
    assert!(iso.contains("not determined"), "{iso}");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("1e21"))
        .unwrap();
    assert!(row.contains("[not determined]"), "{row}");
    // The JSON: the design check, the rows marked, no interval.
    let (json, _) = allocate(&f, &["--method", "all", "--budget", "1e21", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let iso = &v[0]["isoflop"];
    assert_eq!(iso["design"]["same_sizes"], true, "{iso}");
    assert_eq!(iso["design"]["not_determined"], true, "{iso}");
    assert!(
        !iso["design"]["edge_budgets"].as_array().unwrap().is_empty(),
        "{iso}"
    );
    assert!(iso["exponent_n_interval"].is_null(), "{iso}");
    assert_eq!(iso["rows"][0]["not_determined"], true);
    assert!(iso["rows"][0]["n_interval"].is_null());
    // The parametric column keeps its interval.
    assert!(v[0]["parametric"]["rows"][0]["n_interval"].is_object());
}

#[test]
fn a_well_placed_grid_passes_the_check_and_exactly_10x_is_not_extrapolated() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "grid.csv", &runs(false));
    let (text, _) = allocate(&f, &["--method", "all", "--budget", "1e22"]);
    assert!(!text.contains("do not move with compute"), "{text}");
    assert!(!text.contains("not determined"), "{text}");
    assert!(!text.contains("outer tenth"), "{text}");
    assert!(!text.contains("more than 2x apart"), "{text}");
    // 1e22 is exactly 10x the largest budget: marked in no column.
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("1e22"))
        .unwrap();
    assert!(!row.contains("(extrap.)"), "{row}");
    assert!(!text.contains("more than 10x outside"), "{text}");
    let (json, _) = allocate(&f, &["--method", "all", "--budget", "1e22", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let d = &v[0]["isoflop"]["design"];
    assert_eq!(d["windows_fixed"], false, "{d}");
    // The windows follow N_opt: their centre's slope is the law's a = 0.4516.
    let slope = d["window_slope"].as_f64().unwrap();
    assert!((slope - 0.4516).abs() < 0.01, "{slope}");
    // isoflop and the law agree within 2x: the ratio carried, no gap.
    let dis = &v[0]["disagreement"];
    let r = dis["isoflop_over_parametric"][0][1].as_f64().unwrap();
    assert!((0.5..2.0).contains(&r), "{dis}");
    assert!(dis["point_gap_budgets"].as_array().unwrap().is_empty());
    for m in ["parametric", "isoflop", "envelope"] {
        assert_eq!(v[0][m]["rows"][0]["extrapolated"], false, "{m}");
    }
    // Just past 10x: marked in every column.
    let (text, _) = allocate(&f, &["--method", "all", "--budget", "1.05e22"]);
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("1.05e22"))
        .unwrap();
    assert_eq!(row.matches("(extrap.)").count(), 3, "{row}");
}
