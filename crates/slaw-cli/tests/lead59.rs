//! A new user's findings (probe59): rows of weight 0 are left out of
//! everything, not only the objective; `compare` says when its drift
//! correction puts a prediction below every combined law's floor; the
//! runner's note on a chosen candidate with failed runs is a whole sentence,
//! and its ranking says when ats-gap ranks as ats-trend (no zero-shot
//! losses); method names that differ only in case are named.

mod common;
use common::{json_of, python_ok, slaw, write};
use std::time::Duration;

/// 12 points of L = 50 / x^0.3 + 1.8 with a small deterministic wobble,
/// x = 1e3 .. 2.048e6; with `spoil`, the last 4 losses are x1.5 and given
/// weight 0.
fn weighted(spoil: bool) -> String {
    let mut s = String::from("x,loss,w\n");
    for k in 0..12 {
        let x = 1e3 * 2f64.powi(k);
        let mut l = (50.0 * x.powf(-0.3) + 1.8) * (1.0 + 0.003 * ((k * 7 % 5) as f64 - 2.0) / 2.0);
        let mut w = 1.0;
        if spoil && k >= 8 {
            l *= 1.5;
            w = 0.0;
        }
        if !spoil && k >= 8 {
            break;
        }
        s.push_str(&format!("{x},{l},{w}\n"));
    }
    s
}

/// `slaw fit --weight` with 4 rows of weight 0 reads as the fit of the 8
/// others: the same points counted, fit quality, interval and checks (the
/// probe: "on 12 points", R^2 -1.57, an interval 8x too wide and a false
/// lack-of-fit warning); a warning names the rows left out.
#[test]
fn rows_of_weight_zero_are_left_out_of_everything() {
    let dir = tempfile::TempDir::new().unwrap();
    let spoiled = write(&dir, "w.csv", &weighted(true));
    let clean = write(&dir, "c.csv", &weighted(false));
    let fit = |p: &str| {
        json_of(
            &slaw()
                .args([
                    "fit",
                    p,
                    "--x",
                    "x",
                    "--law",
                    "power",
                    "--weight",
                    "w",
                    "--predict",
                    "1e10",
                    "--json",
                ])
                .output()
                .unwrap(),
        )
    };
    let (a, b) = (fit(&spoiled), fit(&clean));
    for key in ["params", "quality", "predictions", "lack_of_fit"] {
        assert_eq!(a[0][key], b[0][key], "{key}: {a} against {b}");
    }
    let out = slaw()
        .args([
            "fit", &spoiled, "--x", "x", "--law", "power", "--weight", "w",
        ])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("4 of 12 rows have weight 0 in 'w' and are left out (rows 10, 11, 12, 13)"),
        "{text}"
    );
    assert!(text.contains("(8 points)"), "{text}");
    // Every row at weight 0: a clear error, not an empty fit.
    let none = write(&dir, "z.csv", "x,loss,w\n1,2,0\n2,1.5,0\n4,1.2,0\n");
    let out = slaw()
        .args(["fit", &none, "--x", "x", "--law", "power", "--weight", "w"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("every weight is zero: nothing to fit"),
        "{err}"
    );
    // compare: the backtests no longer score the rows left out (the probe:
    // "the values rise with x", exit 3).
    let out = slaw()
        .args(["compare", &spoiled, "--x", "x", "--weight", "w"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// On points that follow one law exactly, the pick's drift correction
/// lowers the prediction without bound: far enough beyond the data it lies
/// below the floor every combined law fitted (1.69 here), and a note says
/// so (text and JSON `below_floors`); near the data it does not.
#[test]
fn compare_notes_a_prediction_below_every_laws_floor() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut s = String::from("N,loss\n");
    for k in 0..10 {
        let n = 1e8 * 2f64.powi(k);
        s.push_str(&format!("{n},{}\n", 400.0 * n.powf(-0.34) + 1.69));
    }
    let p = write(&dir, "clean.csv", &s);
    let out = slaw()
        .args([
            "compare",
            &p,
            "--x",
            "N",
            "--predict",
            "6e10,1e20",
            "--json",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    let preds = v["predictions"].as_array().unwrap();
    assert!(preds[0].get("below_floors").is_none(), "{}", preds[0]);
    let f = &preds[1]["below_floors"];
    let floor = f["floor"].as_f64().unwrap();
    assert!((floor - 1.69).abs() < 0.01, "{f}");
    assert!(preds[1]["loss"].as_f64().unwrap() < floor, "{}", preds[1]);
    let out = slaw()
        .args(["compare", &p, "--x", "N", "--predict", "1e20"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "note: the drift correction puts this prediction below the floor of every combined law"
        ),
        "{text}"
    );
}

/// `slaw run --quiet` on a plan (budget 1/64 of 1638400, `min_size`) whose
/// trainer is the Python source `trainer` (called with the model, the size
/// and the seed, printing `eval_loss=...`) over `candidates` (id, params):
/// its standard output.
fn run_plan(min_size: u32, trainer: &str, candidates: &[(&str, f64)]) -> String {
    let dir = tempfile::TempDir::new().unwrap();
    let tr = write(&dir, "tr.py", trainer);
    let mut plan = format!(
        "full_size = 1638400\nbudget = \"1/64\"\nmin_size = {min_size}\nslots = 2\n\
         command = \"python3 {tr} {{model}} {{n}} {{seed}}\"\n\
         loss = {{ kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }}\n"
    );
    for (id, p) in candidates {
        plan += &format!("[[candidate]]\nid = \"{id}\"\nparams = {p}\n");
    }
    let p = write(&dir, "plan.toml", &plan);
    let out = slaw()
        .args(["run", &p, "--quiet"])
        .timeout(Duration::from_secs(600))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The runner's note on a candidate ranked from its completed sizes, when
/// that candidate is the one chosen, ends as a sentence (the probe: "...
/// never as AtS's pick: it is").
#[test]
fn the_note_on_a_chosen_candidate_with_failed_runs_is_a_sentence() {
    if !python_ok() {
        return;
    }
    // The probe's trainer: rectified laws B / (D_l + n^beta) + E, bravo best
    // at the target, its loss NaN from n = 25600 on.
    let text = run_plan(
        200,
        "import sys, math, hashlib, random\n\
         laws = {'alpha': (30.0, 50.0, 0.45, 1.6), 'bravo': (400.0, 300.0, 0.6, 1.15),\n\
                 'charlie': (60.0, 100.0, 0.45, 1.5), 'delta': (100.0, 150.0, 0.40, 1.7)}\n\
         model, n, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])\n\
         B, Dl, beta, E = laws[model]\n\
         loss = B / (Dl + n ** beta) + E\n\
         h = int(hashlib.md5(f'{model}{n}{seed}'.encode()).hexdigest()[:8], 16)\n\
         loss *= math.exp(random.Random(h).gauss(0, 0.005))\n\
         if model == 'bravo' and n >= 25600:\n    print('eval_loss=nan')\n    sys.exit(0)\n\
         print(f'eval_loss={loss:.6f}')\n",
        &[
            ("alpha", 1e9),
            ("bravo", 2e9),
            ("charlie", 1.3e9),
            ("delta", 3e9),
        ],
    );
    let chosen = text.lines().find(|l| l.starts_with("chosen: ")).unwrap();
    assert!(chosen.starts_with("chosen: bravo "), "{text}");
    // No zero-shot runs in this plan: the default ats-gap ranks as
    // ats-trend, and the ranking says so under its heading, as `slaw
    // select` does.
    assert!(
        text.contains(
            "ranking by ats-gap at n = 1.6384e6:\nnote: 4 of 4 candidates have no zero-shot \
             loss (N = 0), which ats-gap reads: they are scored without it (ats-gap: as by \
             ats-trend)"
        ),
        "{text}"
    );
    let note = text
        .lines()
        .find(|l| l.starts_with("note: 'bravo' is ranked from its completed sizes"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        note.ends_with("never as AtS's pick: it is chosen, its risk score the lowest even so"),
        "{note}"
    );
}

/// Runs of two methods from L = A / (X^a D^b) + E, the lora runs of the
/// larger models named "LoRA": `joint` notes and
/// `methods` warns that the two names differ only in case or spaces (the
/// probe: two "methods" ranked side by side, each on half the runs).
#[test]
fn method_names_that_differ_only_in_case_are_named() {
    let mut s = String::from("method,model_size,data,loss\n");
    for (m, a_coef) in [("full", 180.0), ("lora", 220.0)] {
        for x in [1e9, 2e9, 4e9, 8e9, 16e9, 32e9] {
            for d in [1e4, 3e4, 1e5, 3e5] {
                let loss: f64 = a_coef / (f64::powf(x, 0.12) * f64::powf(d, 0.15)) + 0.9;
                let name = if m == "lora" && x >= 8e9 { "LoRA" } else { m };
                s.push_str(&format!("{name},{x},{d},{loss}\n"));
            }
        }
    }
    let dir = tempfile::TempDir::new().unwrap();
    let p = write(&dir, "runs.csv", &s);
    let methods = |p: &str| {
        slaw()
            .args([
                "methods",
                p,
                "--factor",
                "model_size",
                "--at",
                "model_size=4e9",
                "--data",
                "3e4",
            ])
            .output()
            .unwrap()
    };
    let want = "the methods 'lora' and 'LoRA' in column 'method' differ only in case or spaces";
    let out = slaw()
        .args(["joint", &p, "--factor", "model_size"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("note: {p}: {want}")), "{text}");
    let out = methods(&p);
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains(want), "{text}");
    // Where the split leaves each name too few runs to decide, the error
    // names the split too.
    let mut few = String::from("method,model_size,data,loss\n");
    for line in s.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] == "full" || f[2].parse::<f64>().unwrap() <= 3e4 {
            few.push_str(line);
            few.push('\n');
        }
    }
    let p = write(&dir, "few.csv", &few);
    let out = methods(&p);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs runs of at least two methods") && err.contains(want),
        "{err}"
    );
}

/// A candidate whose loss is the same at every size gets a bootstrap
/// interval of no width; a warning says to read it as a point (the probe:
/// `ok 1.500000 [1.500000, 1.500000]` with only the generic bootstrap
/// warning).
#[test]
fn a_bootstrap_interval_of_no_width_is_named() {
    if !python_ok() {
        return;
    }
    let text = run_plan(
        3200,
        "import sys\nmodel, n = sys.argv[1], float(sys.argv[2])\n\
         loss = 1.5 if model == 'flat' else 3.0 * n ** -0.1 + 1.0\n\
         print(f'eval_loss={loss:.6f}')\n",
        &[("flat", 1e9), ("falls", 2e9)],
    );
    assert!(
        text.contains(
            "warning: flat: resampling the points moves nothing (the same loss at every \
             size?), so the bootstrap interval has no width"
        ),
        "{text}"
    );
    assert!(!text.contains("falls: resampling"), "{text}");
}
