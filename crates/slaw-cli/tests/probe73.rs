//! Probe 73's findings (the same inputs give the same output: runs twice,
//! other thread counts, rows and columns in another order, numbers
//! reformatted). Every input is built here or read from the repository's
//! examples/.

mod common;

use common::{json_of, slaw, write};

/// The repository's examples/ folder.
fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// `examples/training_runs.csv` split into its runs, each a header-led
/// `step,lr,loss` CSV text, in the file's order of the runs.
fn training_runs() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(examples().join("training_runs.csv")).unwrap();
    let mut runs: Vec<(String, String)> = Vec::new();
    for line in text.lines().skip(1) {
        let (run, rest) = line.split_once(',').unwrap();
        match runs.iter_mut().find(|(r, _)| r == run) {
            Some((_, t)) => {
                t.push_str(rest);
                t.push('\n');
            }
            None => runs.push((run.to_string(), format!("step,lr,loss\n{rest}\n"))),
        }
    }
    assert_eq!(runs.len(), 3, "three schedules in the example");
    runs
}

/// Every prediction's (step, loss, lo, hi) of a `schedule --json`, as bits.
fn predictions(v: &serde_json::Value) -> Vec<Vec<u64>> {
    v["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["points"].as_array().unwrap().iter())
        .map(|pt| {
            ["step", "loss", "lo", "hi"]
                .iter()
                .map(|k| {
                    pt[k]
                        .as_f64()
                        .unwrap_or_else(|| panic!("{k}: {pt}"))
                        .to_bits()
                })
                .collect()
        })
        .collect()
}

/// The transfer errors of a `schedule --json`, sorted, as bits.
fn transfer_errors(v: &serde_json::Value) -> Vec<u64> {
    let mut e: Vec<f64> = v["transfer_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    e.sort_by(f64::total_cmp);
    e.into_iter().map(f64::to_bits).collect()
}

/// `slaw schedule`'s bootstrap drew point positions from the runs in the
/// order they were given: the same runs in another order (the files swapped
/// on the command line, or a file's runs in another row order) moved the
/// intervals at the same seed (examples/training_runs.csv, runs reversed:
/// the 90% interval at step 72000 [2.9289, 3.1432] became [2.9290, 3.1440]).
/// Now the fit, its bootstrap and the leave-one-run-out refits read the runs
/// in a canonical order: the predictions and intervals are the same bits,
/// and the transfer errors the same values (listed in the runs' given order).
#[test]
fn schedule_gives_the_same_intervals_whatever_the_order_of_the_runs() {
    let dir = tempfile::TempDir::new().unwrap();
    let runs = training_runs();
    let files: Vec<String> = runs
        .iter()
        .map(|(name, text)| write(&dir, &format!("{name}.csv"), text))
        .collect();
    let one_file = |order: &[usize]| {
        let mut s = String::from("run,step,lr,loss\n");
        for &i in order {
            for line in runs[i].1.lines().skip(1) {
                s.push_str(&format!("{},{line}\n", runs[i].0));
            }
        }
        s
    };
    let predict = "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2000";
    let common = ["--bootstrap", "40", "--seed", "3", "--json"];
    let by_files = |order: &[usize]| {
        let mut args: Vec<&str> = vec!["schedule"];
        args.extend(order.iter().map(|&i| files[i].as_str()));
        args.extend(["--predict", predict]);
        args.extend(common);
        json_of(&slaw().args(&args).output().unwrap())
    };
    let by_rows = |order: &[usize], name: &str| {
        let f = write(&dir, name, &one_file(order));
        let mut args = vec![
            "schedule",
            f.as_str(),
            "--run-col",
            "run",
            "--predict",
            predict,
        ];
        args.extend(common);
        json_of(&slaw().args(&args).output().unwrap())
    };
    let base = by_files(&[0, 1, 2]);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        base["transfer_errors"].as_array().unwrap().len(),
        3,
        "{base}"
    );
    for (what, v) in [
        ("files reversed", by_files(&[2, 1, 0])),
        ("files rotated", by_files(&[1, 2, 0])),
        ("runs reversed in one file", by_rows(&[2, 1, 0], "r.csv")),
        ("runs rotated in one file", by_rows(&[2, 0, 1], "s.csv")),
    ] {
        assert_eq!(predictions(&v), predictions(&base), "{what}");
        assert_eq!(transfer_errors(&v), transfer_errors(&base), "{what}");
        assert_eq!(v["params"], base["params"], "{what}");
        // The output keeps the order the runs were given in.
        assert_ne!(names(&v), names(&base), "{what}");
    }
    // The WSD search reads the same fit and replicates.
    let wsd = |order: &[usize]| {
        let mut args: Vec<&str> = vec!["schedule"];
        args.extend(order.iter().map(|&i| files[i].as_str()));
        args.extend([
            "--optimize-wsd",
            "peak=3e-4,final=3e-5,warmup=2000",
            "--steps",
            "24000",
            "--decay-fractions",
            "0.05,0.2",
        ]);
        args.extend(common);
        json_of(&slaw().args(&args).output().unwrap())
    };
    let (a, b) = (wsd(&[0, 1, 2]), wsd(&[2, 0, 1]));
    assert_eq!(predictions(&a), predictions(&b));
    assert_eq!(a["best"], b["best"]);
}
