//! A new user's text and JSON findings (probe61): `allocate --method all`
//! marks the rows a method whose exponent interval reaches 0 does not
//! determine, and prints D_opt and D/N beside N_opt; `compare` says when
//! two laws tie to the printed precision and why a law has no backtest;
//! `methods` says how many bootstrap replicates failed; `demo --json`
//! writes no figure, `--plot /dev/null` is accepted and the FLOPs say their
//! tokens per example; allocate's HTML captions are words, and the isoflop
//! text says how many budgets its figure draws.

mod common;
use common::{json_of, shared, slaw};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn text_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The reports' number format above 1e5 (`slaw::numbers::num`): 6
/// significant digits, scientific, trailing zeros dropped.
fn num(v: f64) -> String {
    assert!(v.abs() >= 1e6, "{v}");
    let s = format!("{v:.5e}");
    let (m, e) = s.split_once('e').unwrap();
    format!("{}e{e}", trim(m))
}

fn trim(m: &str) -> &str {
    if m.contains('.') {
        m.trim_end_matches('0').trim_end_matches('.')
    } else {
        m
    }
}

/// `slaw::numbers::short` for 1e-3 .. 1e5: 3 significant digits, plain.
fn short(v: f64) -> String {
    let e = format!("{v:.2e}");
    let (m, exp) = e.split_once('e').unwrap();
    let exp: i32 = exp.parse().unwrap();
    assert!((-3..5).contains(&exp), "{v}");
    let digits = (2 - exp).max(0) as usize;
    let p = format!("{:.*}", digits, m.parse::<f64>().unwrap() * 10f64.powi(exp));
    trim(&p).to_string()
}

fn allocate_all(extra: &[&str]) -> std::process::Output {
    let runs = example("scaling_results.csv");
    slaw()
        .args([
            "allocate",
            runs.to_str().unwrap(),
            "--n-col",
            "N",
            "--d-col",
            "D",
            "--flops-col",
            "C",
            "--where",
            "portion_steps_elapsed=1",
            "--best-per-size",
            "--method",
            "all",
        ])
        .args(extra)
        .output()
        .unwrap()
}

/// probe61 1: the envelope's exponent interval [-1, 1] and isoflop's
/// [-0.08, 0.71] reach 0: their rows at budgets outside the compute the
/// regression used carry `growth_not_determined` (the numbers kept) and a
/// "?" in the text, with a legend; rows inside that compute and the
/// parametric rows (a in (0, 1)) do not.
#[test]
fn rows_of_a_method_whose_exponent_interval_reaches_zero_are_marked() {
    let v = json_of(&allocate_all(&["--json"]));
    let g = &v[0];
    let mut marked = 0;
    for m in ["parametric", "isoflop", "envelope"] {
        let lo = g[m]["exponent_n_interval"]["lo"].as_f64().unwrap();
        let range = &g[m]["compute_range"];
        let (c_lo, c_hi) = (range[0].as_f64().unwrap(), range[1].as_f64().unwrap());
        for row in g[m]["rows"].as_array().unwrap() {
            let c = row["compute"].as_f64().unwrap();
            let flag = row["growth_not_determined"].as_bool().unwrap();
            let outside = c < c_lo / 1.001 || c > c_hi * 1.001;
            assert_eq!(flag, lo <= 0.0 && outside, "{m} at {c}: {row}");
            // The numbers stay in the JSON.
            assert!(row["n_interval"]["lo"].is_number(), "{m} at {c}: {row}");
            marked += flag as usize;
        }
    }
    assert!(
        marked >= 10,
        "isoflop and envelope beyond the runs: {marked}"
    );
    assert!(g["envelope"]["rows"][6]["growth_not_determined"] == true);
    assert!(g["envelope"]["rows"][0]["growth_not_determined"] == false);

    let text = text_of(&allocate_all(&[]));
    // 1e19 lies inside the regression's compute: no mark; 1e25 outside.
    let n_row = |c: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{c} ")))
            .unwrap_or_else(|| panic!("{c} in {text}"))
            .to_string()
    };
    assert!(!n_row("1e19").contains('?'), "{text}");
    assert_eq!(n_row("1e25").matches("]?").count(), 2, "{text}");
    assert!(
        text.contains(
            "?: not determined by the runs (isoflop, envelope: the interval of a reaches 0"
        ),
        "{text}"
    );
    assert!(text.contains("marked \"?\""), "{text}");
}

/// probe61 8: `--method all` prints D_opt (tokens) and D/N per method, the
/// numbers of the JSON rows.
#[test]
fn method_all_prints_d_opt_and_tokens_per_parameter() {
    let v = json_of(&allocate_all(&["--json"]));
    let text = text_of(&allocate_all(&[]));
    let header = text
        .lines()
        .find(|l| l.contains("D_opt parametric"))
        .unwrap_or_else(|| panic!("no D_opt table in {text}"));
    for m in ["isoflop", "envelope"] {
        assert!(header.contains(&format!("D_opt {m}")), "{header}");
    }
    assert_eq!(header.matches("D/N").count(), 3, "{header}");
    // The D table's rows follow its header, one per budget.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| *l == header).unwrap();
    let rows = v[0]["parametric"]["rows"].as_array().unwrap();
    for (k, row) in rows.iter().enumerate() {
        let line = lines[at + 1 + k];
        for m in ["parametric", "isoflop", "envelope"] {
            let r = &v[0][m]["rows"][k];
            let (n, d) = (r["n_opt"].as_f64().unwrap(), r["d_opt"].as_f64().unwrap());
            assert!(line.contains(&num(d)), "{m} D_opt {} in {line}", num(d));
            assert!(
                line.contains(&short(d / n)),
                "{m} D/N {} in {line}",
                short(d / n)
            );
        }
        let c = row["compute"].as_f64().unwrap();
        assert!(
            line.trim_start()
                .starts_with(&format!("1e{} ", c.log10().round())),
            "{line}"
        );
    }
    assert!(text.contains("D_opt: training tokens; D/N: tokens per parameter"));
}

/// probe61 11: allocate's `--report` captions are sentences, not the
/// figures' file suffixes, and the isoflop text says how many budgets its
/// figure draws (the figure's own count).
#[test]
fn allocate_report_captions_are_words() {
    let dir = TempDir::new().unwrap();
    let page = dir.path().join("a.html");
    text_of(&allocate_all(&["--report", page.to_str().unwrap()]));
    let html = std::fs::read_to_string(&page).unwrap();
    for id in ["isoflop", "nopt", "dopt"] {
        assert!(
            !html.contains(&format!("<figcaption>{id}</figcaption>")),
            "bare caption {id}"
        );
    }
    assert!(html.contains("<figcaption>Compute-optimal model size N_opt against compute C"));
    assert!(html.contains("<figcaption>IsoFLOP profiles: loss against model size"));
}

/// probe61 11: on the public Chinchilla runs the isoflop figure draws 24
/// budgets and the text used 22 of 30: the text now names both, and its
/// count is the figure's.
#[test]
fn the_isoflop_text_says_how_many_budgets_its_figure_draws() {
    let Some(data) = shared("chinchilla/svg_extracted_data.csv") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let plot = dir.path().join("c.svg");
    let out = slaw()
        .args(["allocate", data.to_str().unwrap(), "--n-col", "Model Size"])
        .args(["--flops-col", "Training FLOP", "--drop-highest", "5"])
        .args([
            "--method",
            "isoflop",
            "--bootstrap",
            "0",
            "--budget",
            "1e21",
        ])
        .args(["--plot", plot.to_str().unwrap()])
        .output()
        .unwrap();
    let text = text_of(&out);
    let line = text
        .lines()
        .find(|l| l.contains("isoFLOP profiles ("))
        .unwrap_or_else(|| panic!("{text}"));
    let drawn: usize = line
        .split("draws the ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(line.contains("22 of 30 budgets used"), "{line}");
    let svg = std::fs::read_to_string(dir.path().join("c-isoflop.svg")).unwrap();
    assert!(
        svg.contains(&format!("isoFLOP profiles of {drawn} budgets")),
        "{line}"
    );
}

/// The first 8 points of a FLAN learning curve (LaMini-GPT-124M), where
/// power and vanilla-ft backtest to the same 5 decimals.
const FLAN_8: &str = "n,loss\n200,4.247949918\n400,4.188166777\n800,4.086900075\n\
1600,3.946466605\n3200,3.808449984\n6400,3.645450115\n12800,3.420799971\n25600,3.165299892\n";

/// probe61 10: a law in the pick and one left out whose scores print the
/// same get a note saying which was taken and why; a law without a score
/// says whether it had too few points or did not converge; two origins
/// that cut the points at one place are said to be one backtest.
#[test]
fn compare_says_how_a_tie_was_broken_and_why_a_law_has_no_score() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("flan.csv");
    std::fs::write(&f, FLAN_8).unwrap();
    let run = |extra: &[&str]| {
        slaw()
            .args([
                "compare",
                f.to_str().unwrap(),
                "--x",
                "n",
                "--predict",
                "1638400",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let v = json_of(&run(&["--json"]));
    let text = text_of(&run(&[]));
    let laws = v["groups"][0]["laws"].as_array().unwrap();
    let shown = |l: &serde_json::Value| l["score"].as_f64().map(|s| format!("{s:.5}"));
    let mut ties = 0;
    for a in laws.iter().filter(|l| l["weight"].as_f64().unwrap() > 0.0) {
        for b in laws.iter().filter(|l| l["weight"].as_f64().unwrap() == 0.0) {
            if shown(a).is_some() && shown(a) == shown(b) {
                ties += 1;
                let note = format!(
                    "tie: {} and {} both score {}",
                    a["law"].as_str().unwrap(),
                    b["law"].as_str().unwrap(),
                    shown(a).unwrap()
                );
                assert!(text.contains(&note), "{note} in {text}");
            }
        }
    }
    assert!(ties >= 1, "power and vanilla-ft tie on this curve: {text}");
    assert!(
        text.contains("is in the pick and vanilla-ft is not"),
        "{text}"
    );
    // bnsl: too few points at both origins (6 points, more parameters).
    let bnsl = laws.iter().find(|l| l["law"] == "bnsl").unwrap();
    let reason = bnsl["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("too few points: the refit at origins 0.75 and last-2 has 6 points"),
        "{reason}"
    );
    assert!(!reason.contains("or did not converge"), "{reason}");
    assert!(
        text.contains("origins 0.75 and last-2 both fit the first 6 of 8 points"),
        "{text}"
    );
}

/// probe61 10: `methods --bootstrap 200` with one failed replicate says so
/// in the text ("1 of 200 prompt replicates failed"), not only in the JSON.
#[test]
fn methods_says_how_many_replicates_failed() {
    let runs = example("runs.csv");
    let run = |extra: &[&str]| {
        slaw()
            .args(["methods", runs.to_str().unwrap()])
            .args(["--factor", "model_size", "--factor", "pretrain_tokens"])
            .args(["--factor", "prompt_len", "--pet", "prompt_len"])
            .args([
                "--at",
                "model_size=2e9",
                "--data",
                "1e5",
                "--bootstrap",
                "200",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let v = json_of(&run(&["--json"]));
    let text = text_of(&run(&[]));
    let mut failed = 0;
    for p in v["recommendation"]["predictions"]
        .as_array()
        .or_else(|| v["predictions"].as_array())
        .unwrap_or_else(|| panic!("{v}"))
    {
        let (n, drawn) = (
            p["replicates"].as_u64().unwrap(),
            p["replicates_drawn"].as_u64().unwrap(),
        );
        assert_eq!(drawn, 200, "{p}");
        if n < drawn {
            failed += 1;
            let said = format!(
                "{} of 200 {} replicate",
                drawn - n,
                p["method"].as_str().unwrap()
            );
            assert!(text.contains(&said), "{said} in {text}");
        }
    }
    assert!(failed >= 1, "a prompt replicate fails at this seed: {text}");
    assert!(
        text.contains("bootstrap: 1 of 200 prompt replicates failed"),
        "{text}"
    );
}

/// probe61 10: `demo --json` writes no figure (stdout is the JSON),
/// `--plot /dev/null` is accepted and writes none, the default text run
/// still writes slaw-demo.svg; the cost's FLOPs name their tokens per
/// example; the open-below note reads as a sentence.
#[test]
fn demo_json_has_no_side_effects_and_flops_say_their_assumption() {
    let dir = TempDir::new().unwrap();
    let run = |args: &[&str]| slaw().current_dir(dir.path()).args(args).output().unwrap();
    let v = json_of(&run(&["demo", "--json"]));
    assert!(!dir.path().join("slaw-demo.svg").exists());
    assert_eq!(v["cost"]["tokens_per_example"], 256.0, "{}", v["cost"]);
    let out = run(&["demo", "--plot", "/dev/null"]);
    let text = text_of(&out);
    assert!(!dir.path().join("slaw-demo.svg").exists());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no plot written"));
    assert!(
        text.contains("FLOPs: 6 x parameters x 256 tokens per example)"),
        "{text}"
    );
    assert!(
        text.contains("cost's FLOPs assume 256 tokens per example"),
        "{text}"
    );
    assert!(!text.contains("has: lower end open"), "{text}");
    if text.contains("<: ") {
        assert!(text.contains("<: lower end open for '"), "{text}");
    }
    // With --json and an explicit --plot the figure is written.
    json_of(&run(&["demo", "--json", "--plot", "d.svg"]));
    assert!(dir.path().join("d.svg").exists());
    text_of(&run(&["demo"]));
    assert!(dir.path().join("slaw-demo.svg").exists());
}
