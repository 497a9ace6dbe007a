//! Probe 66's findings: on a fixed ladder a size that failed below sizes
//! that finished no longer makes its candidate "ranked from its completed
//! sizes ... its larger sizes were not run" (and never AtS's pick); a note
//! on a candidate whose larger sizes ran and failed says so; the runs'
//! count says how many of them failed; the temporal law's interval line
//! gives the c of the asked level, not the 90% one.

mod common;

use common::{json_of, per_position_from_rate, run, slaw};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// A fixed-ladder plan (sizes 200 .. 12800, one seed) of three candidates
/// whose command prints a loss of a known curve, and exits 1 for candidate
/// `a` at the sizes `fails` (an awk condition on `n`); run to its end.
fn fixed_ladder(dir: &TempDir, fails: &str) -> PathBuf {
    let plan = dir.path().join("plan.toml");
    let mut s = format!(
        r#"full_size = 102400
budget = "1/8"
min_size = 200
method = "ats"
adaptive = false
slots = 2
command = '''awk -v n={{n}} -v m={{model}} 'BEGIN {{{{ if (m == "a" && ({fails})) exit 1; print "eval_loss=" ((m == "a" ? 2 : (m == "b" ? 2.1 : 2.3)) + 30 / (n + 100) ^ 0.5) }}}}' '''
loss = {{ kind = "regex", pattern = "eval_loss=([0-9.eE+-]+)" }}
"#
    );
    for m in ["a", "b", "c"] {
        s += &format!("\n[[candidate]]\nid = \"{m}\"\nparams = 1e8\n");
    }
    std::fs::write(&plan, s).unwrap();
    let out = slaw()
        .args(["run", plan.to_str().unwrap(), "--quiet"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    // Some run failed with no retries left: exit status 4.
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    plan
}

fn report(plan: &Path, json: bool) -> std::process::Output {
    let mut args = vec!["report", plan.to_str().unwrap()];
    if json {
        args.push("--json");
    }
    slaw()
        .args(&args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap()
}

/// The ranking row of candidate `id` in `slaw report --json`.
fn ranking_row(v: &serde_json::Value, id: &str) -> serde_json::Value {
    v["summary"]["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no ranking row for {id}: {v}"))
        .clone()
}

#[test]
fn a_size_that_failed_below_finished_sizes_is_not_a_truncated_ladder() {
    let dir = TempDir::new().unwrap();
    // a fails at 800 only; 1600 .. 12800 finish.
    let plan = fixed_ladder(&dir, "n == 800");
    let out = report(&plan, false);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // Its estimate reads 200..12800, as the others': not "ranked from its
    // completed sizes up to 12800 (... so its larger sizes were not run)".
    assert!(!text.contains("so its larger sizes were not run"), "{text}");
    assert!(
        !text.contains("'a' is ranked from its completed sizes"),
        "{text}"
    );
    // The failure is still said: the run is listed, and `a` is ranked
    // without it (a failed contender's clause or note names the run).
    assert!(text.contains("a|n=800|seed=0"), "{text}");
    assert!(text.contains("1 of them failed"), "{text}");
    // The chosen candidate has a failed run: exit 4, the JSON all the same.
    let out = report(&plan, true);
    assert_eq!(out.status.code(), Some(4));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = ranking_row(&v, "a");
    assert!(a.get("failed_at").is_none(), "{a}");
    assert_eq!(a["sizes"], serde_json::json!([200.0, 12800.0]), "{a}");
    // a has the lowest curve at every size and no truncated ladder: it is
    // ranked first and chosen (AtS's pick is open to it).
    assert_eq!(a["rank"], 1, "{a}");
    assert_eq!(a["chosen"], true, "{a}");
}

#[test]
fn larger_sizes_that_ran_and_failed_are_not_said_to_be_not_run() {
    let dir = TempDir::new().unwrap();
    // a fails from 3200 up; on the fixed ladder 6400 and 12800 run and
    // fail too (200 .. 1600 are the 4 sizes AtS needs to rank it).
    let plan = fixed_ladder(&dir, "n >= 3200");
    let out = report(&plan, false);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let note = text
        .lines()
        .find(|l| l.starts_with("note: 'a' is ranked from its completed sizes up to 1600"))
        .unwrap_or_else(|| panic!("no note on a's failed sizes: {text}"));
    assert!(
        note.contains("its runs at n = 3200 failed with no retries left, and every larger size that ran failed too"),
        "{note}"
    );
    assert!(!note.contains("were not run"), "{note}");
    // 7 sizes x 3 candidates ended, 3 of a's failed.
    assert!(
        text.contains("21 runs finished (3 of them failed)"),
        "{text}"
    );
    let out = report(&plan, true);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let a = ranking_row(&v, "a");
    assert_eq!(a["failed_at"], 3200.0, "{a}");
    assert_eq!(a["sizes"], serde_json::json!([200.0, 1600.0]), "{a}");
}

#[test]
fn the_temporal_interval_line_gives_the_c_of_the_asked_level() {
    let dir = TempDir::new().unwrap();
    let (text, _) = per_position_from_rate(20000, 3e-4, |_| 3e-4);
    let file = common::write(&dir, "pos.csv", &text);
    for (level, c90) in [("0.8", false), ("0.9", true)] {
        let args = [
            "forecast",
            file.as_str(),
            "--fit-until",
            "0.3",
            "--level",
            level,
            "--bootstrap",
            "50",
        ];
        let (code, out, err) = run(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        let line = out
            .lines()
            .find(|l| l.starts_with("intervals:") && l.contains("POOLED_SCALE"))
            .unwrap_or_else(|| panic!("no temporal interval line: {out}"));
        let mut json_args = args.to_vec();
        json_args.push("--json");
        let v = json_of(
            &slaw()
                .current_dir(dir.path())
                .args(&json_args)
                .output()
                .unwrap(),
        );
        let kind = &v["interval_kind"];
        assert_eq!(kind["kind"], "pooled-scale", "{kind}");
        let c = kind["c"].as_f64().unwrap();
        let pct = format!("{}%", (level.parse::<f64>().unwrap() * 100.0).round());
        assert!(
            line.contains(&format!("c = {c:.3} at {pct}")),
            "the line must give the c used ({c}) at {pct}: {line}"
        );
        assert_eq!(line.contains("c = 0.101 at 90%"), c90, "{line}");
    }
}

#[test]
fn a_report_with_no_candidate_ranked_because_runs_failed_is_not_a_success() {
    let dir = TempDir::new().unwrap();
    let plan = dir.path().join("plan.toml");
    // A trainer that is not there: every run exits 127, the ascending
    // ladder stops each candidate at its smallest size.
    let mut s = String::from(
        "full_size = 409600\nbudget = \"1/256\"\nmin_size = 100\n\
         command = \"slaw_probe66_no_such_trainer {n}\"\n\
         loss = { kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }\n",
    );
    for m in ["a", "b"] {
        s += &format!("\n[[candidate]]\nid = \"{m}\"\nparams = 1e9\n");
    }
    std::fs::write(&plan, s).unwrap();
    let run_out = slaw()
        .args(["run", plan.to_str().unwrap(), "--quiet"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    assert_eq!(run_out.status.code(), Some(4));
    let text = String::from_utf8_lossy(&run_out.stdout).to_string();
    // Nothing was learned: the sizes not run are not "saved".
    assert!(!text.contains("% saved)"), "{text}");
    assert!(
        text.contains(
            "% not run, not saved: failures stopped 2 candidate(s) before their larger sizes)"
        ),
        "{text}"
    );
    for json in [false, true] {
        let out = report(&plan, json);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(4), "{err}");
        assert!(
            err.contains("no candidate could be ranked: 2 of 2 lost runs to failures (a, b)"),
            "{err}"
        );
    }
    // `status` reports no decision: its exit status is unchanged.
    let st = slaw()
        .args(["status", plan.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(st.status.code(), Some(0));
}

#[test]
fn slaw_plan_states_the_level_of_the_intervals() {
    let dir = TempDir::new().unwrap();
    let plan = dir.path().join("plan.toml");
    let mut s = String::from(
        "full_size = 409600\nbudget = \"1/16\"\nlevel = 0.8\n\
         command = \"echo eval_loss=1.5\"\n\
         loss = { kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }\n",
    );
    for m in ["a", "b"] {
        s += &format!("\n[[candidate]]\nid = \"{m}\"\nparams = 1e9\n");
    }
    std::fs::write(&plan, s).unwrap();
    let (code, out, err) = run(dir.path(), &["plan", "plan.toml"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("method ats-gap (intervals at 80%), "), "{out}");
    let v = json_of(
        &slaw()
            .current_dir(dir.path())
            .args(["plan", "plan.toml", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["level"], 0.8, "{v}");
}

#[test]
fn compare_on_losses_all_equal_says_so() {
    let dir = TempDir::new().unwrap();
    common::write(
        &dir,
        "const.csv",
        "n,loss\n1e9,3.0\n2e9,3.0\n4e9,3.0\n8e9,3.0\n1.6e10,3.0\n",
    );
    let args = ["compare", "const.csv", "--x", "n", "--predict", "1e11"];
    let (code, out, err) = run(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    let all = format!("{out}{err}");
    assert!(
        all.contains("warning: the values of 'loss' are all equal (3) at the 5 points"),
        "{all}"
    );
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let v = json_of(
        &slaw()
            .current_dir(dir.path())
            .args(&json_args)
            .output()
            .unwrap(),
    );
    assert!(
        common::warnings(&v)
            .iter()
            .any(|w| w.starts_with("the values of 'loss' are all equal (3)")),
        "{v}"
    );
}
