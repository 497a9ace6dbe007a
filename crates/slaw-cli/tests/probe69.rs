//! Probe 69's findings (a new user on curves the project was not built
//! against): data sizes read to 6 significant digits, JSON-array records
//! named as records, and more below. Every input is built here or read from
//! the repository's examples/.

mod common;

use common::{json_of, run, slaw};

/// The repository's examples/ folder.
fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// Significant digits of a printed number ("20253.907072" 11, "2.97877e6"
/// 6, "10000" 1, "0.3" 1).
fn significant_digits(s: &str) -> usize {
    let mantissa = s.split(['e', 'E']).next().unwrap().trim_start_matches('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_start_matches('0');
    let digits = if mantissa.contains('.') {
        digits
    } else {
        digits.trim_end_matches('0')
    };
    digits.len().max(1)
}

/// `slaw methods`' critical data sizes (D_f) read to 6 significant digits
/// (were `20253.907072` beside `254595` and `2.97877e6`: the loss format's
/// 6 decimals), and still equal the JSON's value to those digits.
#[test]
fn methods_critical_data_sizes_read_to_six_significant_digits() {
    let runs = examples().join("runs.csv");
    let args = [
        "methods",
        runs.to_str().unwrap(),
        "--factor",
        "model_size",
        "--factor",
        "pretrain_tokens",
        "--factor",
        "prompt_len",
        "--pet",
        "prompt_len",
        "--at",
        "model_size=8e9",
        "--data",
        "3e3",
    ];
    let (code, out, err) = run(&examples(), &args);
    assert_eq!(code, 0, "{out}\n{err}");
    let crit = out
        .split("critical fine-tuning data size")
        .nth(1)
        .expect("a critical-size section");
    // Every D_f of the per-model-size lines ("model_size = X: D (outside
    // the runs)", or "-").
    let mut seen = 0;
    for line in crit
        .lines()
        .filter(|l| l.trim_start().starts_with("model_size ="))
    {
        let d = line.split(": ").nth(1).unwrap();
        let d = d.split(' ').next().unwrap();
        if d == "-" {
            continue;
        }
        seen += 1;
        assert!(significant_digits(d) <= 6, "{d} in: {line}");
    }
    assert!(seen >= 5, "{crit}");
    // The crossing at the setting, its replicates' range and the closed
    // form's value: no 6-decimal data size anywhere in the section but the
    // loss difference "E differ by".
    let json = slaw()
        .current_dir(examples())
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let v = json_of(&json);
    let c = v["recommendation"]["critical"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["methods"] == serde_json::json!(["lora", "prompt"]))
        .unwrap();
    let d = c["at_setting"][0].as_f64().unwrap();
    let line = crit.lines().find(|l| l.contains("lora vs prompt")).unwrap();
    let printed = line
        .split("at model_size = 8e9: ")
        .nth(1)
        .unwrap()
        .split(';')
        .next()
        .unwrap();
    assert!(significant_digits(printed) <= 6, "{line}");
    let back: f64 = printed.parse().unwrap();
    assert!(((back - d) / d).abs() < 1e-5, "{printed} vs {d}");
    for word in line.split([' ', '(', ')', ',', ';', '-', '[', ']']) {
        if word.contains('.')
            && word.parse::<f64>().is_ok()
            && !line.contains(&format!("E differ by {word}"))
        {
            // gamma = 0.8714 (4 decimals) and H (a coefficient) aside,
            // every number has at most 6 significant digits.
            assert!(significant_digits(word) <= 6, "{word} in: {line}");
        }
    }
}

/// `slaw allocate`'s D/N column (tokens per parameter) reads to 6
/// significant digits (was 48.967055), as the comparison table's.
#[test]
fn allocate_tokens_per_parameter_reads_to_six_significant_digits() {
    let (code, out, err) = run(
        &examples(),
        &[
            "allocate",
            "chinchilla.csv",
            "--d-col",
            "D",
            "--budget",
            "1e21",
            "--bootstrap",
            "50",
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("1e21"))
        .expect("the 1e21 row");
    let cells: Vec<&str> = row.split_whitespace().collect();
    // C, N_opt, [lo, hi], D_opt, [lo, hi], D/N, ...
    let dn = cells[7];
    assert!(dn.parse::<f64>().unwrap() > 10.0, "{row}");
    assert!(significant_digits(dn) <= 6, "{dn} in: {row}");
}

/// `slaw allocate --method all`'s max/min ratio of the methods' N_opt reads
/// to 6 significant digits (was 2.946956x), and its D/N columns to 3.
#[test]
fn allocate_methods_ratio_reads_to_six_significant_digits() {
    let (code, out, err) = run(
        &examples(),
        &[
            "allocate",
            "isoflops.csv",
            "--n-col",
            "N",
            "--d-col",
            "tokens",
            "--method",
            "all",
            "--budget",
            "1e21",
            "--bootstrap",
            "50",
        ],
    );
    assert!(code == 0 || code == 3, "{out}\n{err}");
    let header = out
        .lines()
        .position(|l| l.contains("max/min"))
        .expect("a max/min column");
    let row = out.lines().nth(header + 1).unwrap();
    let ratio = row.split_whitespace().last().unwrap();
    let ratio = ratio.strip_suffix('x').expect("a ratio ending in x");
    assert!(ratio.parse::<f64>().unwrap() >= 1.0, "{row}");
    assert!(significant_digits(ratio) <= 6, "{ratio} in: {row}");
}

/// Runs of one method on a 4 x 4 design of L = 0.5 + 2e3 / (X^0.3 D^0.2),
/// as JSON objects (the second repeated as the fourth record).
fn joint_records() -> Vec<serde_json::Value> {
    let mut recs = Vec::new();
    for (i, x) in [1e9_f64, 2e9, 4e9, 8e9].iter().enumerate() {
        for (j, d) in [1e4_f64, 3e4, 1e5, 3e5].iter().enumerate() {
            let wiggle = 1.0 + 0.003 * (((i * 4 + j) * 7 % 5) as f64 - 2.0);
            let loss = (0.5 + 2e3 / (x.powf(0.3) * d.powf(0.2))) * wiggle;
            recs.push(
                serde_json::json!({"method": "fmt", "model_size": x, "data": d, "loss": loss}),
            );
        }
    }
    recs.insert(3, recs[1].clone());
    recs
}

/// `slaw joint`'s note on a run read twice names JSON-array records as
/// records (it said "rows 2 and 4", where every error of the same file
/// says "record N"); a CSV's lines stay rows.
#[test]
fn joint_duplicate_runs_in_a_json_array_are_records() {
    let dir = tempfile::TempDir::new().unwrap();
    let recs = joint_records();
    let json = common::write(&dir, "runs.json", &serde_json::to_string(&recs).unwrap());
    let args = ["joint", json.as_str(), "--factor", "model_size"];
    let (code, out, err) = run(dir.path(), &args);
    assert!(code == 0 || code == 3, "{out}\n{err}");
    let all = format!("{out}\n{err}");
    let note = all
        .lines()
        .find(|l| l.contains("the same run twice"))
        .unwrap_or_else(|| panic!("no duplicate note: {all}"));
    assert!(note.contains("runs.json, records 2 and 4:"), "{note}");
    assert!(note.contains("each record is fitted"), "{note}");
    assert!(!note.contains("row"), "{note}");
    // The same runs as CSV: rows (line numbers, the header line 1).
    let mut csv = String::from("method,model_size,data,loss\n");
    for r in &recs {
        csv += &format!("fmt,{},{},{}\n", r["model_size"], r["data"], r["loss"]);
    }
    let csv = common::write(&dir, "runs.csv", &csv);
    let (code, out, err) = run(
        dir.path(),
        &["joint", csv.as_str(), "--factor", "model_size"],
    );
    assert!(code == 0 || code == 3, "{out}\n{err}");
    let all = format!("{out}\n{err}");
    let note = all
        .lines()
        .find(|l| l.contains("the same run twice"))
        .unwrap();
    assert!(note.contains("runs.csv, rows 3 and 5:"), "{note}");
    // An error of the JSON file says record too (the format the note follows).
    let mut bad = joint_records();
    bad[5]["loss"] = serde_json::json!(-1.0);
    let bad = common::write(&dir, "bad.json", &serde_json::to_string(&bad).unwrap());
    let (code, _, err) = run(
        dir.path(),
        &["joint", bad.as_str(), "--factor", "model_size"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("bad.json, record 6"), "{err}");
}

/// `slaw report --plot`: a candidate every run of which failed (so not
/// ranked, no curve) has its failed size marked and named in the legend
/// (it had no mark: only ranked candidates' curves carried crosses).
#[test]
fn report_figure_marks_the_failures_of_a_candidate_without_a_curve() {
    let dir = tempfile::TempDir::new().unwrap();
    let plan = common::write(
        &dir,
        "plan.toml",
        "full_size = 6400\nbudget = \"1/8\"\nmin_size = 100\nslots = 1\nseeds = [0]\n\
         command = \"sh -c 'if [ {model} = 9 ]; then echo OOM >&2; exit 1; fi; awk -v e={model} -v n={n} \\\"BEGIN {{ print \\\\\\\"eval_loss=\\\\\\\" (e + 30 * n ^ -0.3) }}\\\"'\"\n\
         loss = { kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }\n\
         [[candidate]]\nid = \"low\"\nmodel = \"2.0\"\nparams = 1e9\n\
         [[candidate]]\nid = \"high\"\nmodel = \"2.5\"\nparams = 1e9\n\
         [[candidate]]\nid = \"oom-model\"\nmodel = \"9\"\nparams = 1e9\n",
    );
    let (code, out, err) = run(dir.path(), &["run", &plan]);
    assert_eq!(code, 4, "{out}\n{err}");
    assert!(out.contains("oom-model"), "{out}");
    let svg = dir.path().join("rep.svg");
    let (code, out, err) = run(
        dir.path(),
        &["report", &plan, "--plot", svg.to_str().unwrap()],
    );
    assert_eq!(code, 3, "{out}\n{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.contains("oom-model: failed, no curve"),
        "legend without the failed candidate"
    );
    // the ranked candidates have no failure: no "failed run" entry
    assert!(
        !text.contains(">failed run<"),
        "a failed-run entry without a failure"
    );
}

/// 30 points of a vision-style error curve (top-1 error on 50,000 images,
/// E + (I - E)(1 + x/3e7)^-0.45, binomial noise; probe69's `gen.py vis 0`,
/// x <= 1e9).
const VISION_EARLY: &str = "images,error\n1e+06,0.888581\n1.26638e+06,0.885252\n1.60372e+06,0.877810\n2.03092e+06,0.875669\n2.57191e+06,0.867514\n3.25702e+06,0.860394\n4.12463e+06,0.851628\n5.22335e+06,0.837533\n6.61474e+06,0.825846\n8.37678e+06,0.813667\n1.06082e+07,0.793893\n1.3434e+07,0.773603\n1.70125e+07,0.748624\n2.15443e+07,0.719102\n2.72833e+07,0.687125\n3.45511e+07,0.653447\n4.37548e+07,0.621891\n5.54102e+07,0.588025\n7.01704e+07,0.550241\n8.88624e+07,0.512029\n1.12534e+08,0.476972\n1.4251e+08,0.445336\n1.80472e+08,0.411465\n2.28546e+08,0.378695\n2.89427e+08,0.347603\n3.66524e+08,0.323190\n4.64159e+08,0.298439\n5.87802e+08,0.276527\n7.4438e+08,0.252575\n9.42668e+08,0.235905\n";

/// `compare`'s lack-of-fit warning on a curve its pick fits to the noise
/// but does not extrapolate in backtests: it said "no law of the pool
/// follows these points" while the pick's fit was within 0.6x the noise;
/// now it says the backtests fail and gives the fit beside them.
#[test]
fn compare_lack_of_fit_says_backtests_and_the_picks_own_fit() {
    let dir = tempfile::TempDir::new().unwrap();
    let f = common::write(&dir, "vision.csv", VISION_EARLY);
    let (code, out, err) = run(dir.path(), &["compare", &f, "--y", "error"]);
    assert_eq!(code, 0, "{out}\n{err}");
    let all = format!("{out}\n{err}");
    let w = all
        .lines()
        .find(|l| l.contains("no law of the pool follows these points"))
        .unwrap_or_else(|| panic!("no lack-of-fit warning: {all}"));
    assert!(w.contains("follows these points in backtests"), "{w}");
    assert!(w.contains("its fit to all of them is within"), "{w}");
    assert!(w.contains("it follows them where fitted"), "{w}");
    // The fit's RMSD it quotes is the pick's own: `fit --law bnsl` on the
    // same points reports the same RMSD of ln L (to 2 digits).
    let quoted: f64 = w
        .split("its fit to all of them is within ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let fit = slaw()
        .current_dir(dir.path())
        .args(["fit", &f, "--y", "error", "--law", "bnsl", "--json"])
        .output()
        .unwrap();
    let v = json_of(&fit);
    let rmsd = v["groups"][0]["train"]["rmsd_log"].as_f64().unwrap();
    assert!(
        (quoted - rmsd).abs() <= 0.05 * rmsd + 1e-4,
        "{quoted} vs {rmsd}"
    );
    let j = slaw()
        .current_dir(dir.path())
        .args(["compare", &f, "--y", "error", "--json"])
        .output()
        .unwrap();
    let v = json_of(&j);
    let msg = v["groups"][0]["lack_of_fit"]["message"].as_str().unwrap();
    assert!(w.ends_with(msg), "{w}\n{msg}");
}
