//! The `--help` texts against the code: every schedule kind the parser
//! knows is described where `--schedule` / `--predict` take it, and no help
//! text cites the project's history (issue numbers, branches, pushes) in
//! place of what the option does.

mod common;

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn help(args: &[&str]) -> String {
    let out = slaw().args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?} --help");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands a `--help` page lists under "Commands:" (without `help`).
fn subcommands(page: &str) -> Vec<String> {
    page.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// The schedule kinds the library's parser knows, from its own error.
fn schedule_kinds() -> Vec<String> {
    let dir = TempDir::new().unwrap();
    let csv = dir.path().join("c.csv");
    fs::write(&csv, "step,loss\n1,3\n2,2.9\n3,2.8\n4,2.7\n5,2.6\n").unwrap();
    let out = slaw()
        .arg("forecast")
        .arg(&csv)
        .args(["--schedule", "nosuch:peak=1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    let known = err
        .split("(known: ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .unwrap_or_else(|| panic!("no list of known schedules in {err:?}"));
    known.split(", ").map(str::to_string).collect()
}

#[test]
fn forecast_and_schedule_help_describe_every_schedule_kind() {
    let kinds = schedule_kinds();
    assert!(kinds.iter().any(|k| k == "linear"), "{kinds:?}");
    let forecast = help(&["forecast"]);
    let schedule = help(&["schedule"]);
    for kind in &kinds {
        // each kind with its required keys, e.g. "linear:peak=P,total=T"
        assert!(
            forecast.contains(&format!("{kind}:peak=")),
            "forecast --help: --schedule does not describe '{kind}'"
        );
        assert!(
            schedule.contains(&format!("{kind}:peak=")),
            "schedule --help: --predict does not describe '{kind}'"
        );
    }
    for key in [
        "warmup=",
        "final=",
        "decay_start=",
        "switch=",
        "low=",
        "decay=linear|exp|cosine",
    ] {
        assert!(forecast.contains(key), "forecast --help lacks {key}");
        assert!(schedule.contains(key), "schedule --help lacks {key}");
    }
    assert!(!forecast.contains("see README"), "{forecast}");
}

#[test]
fn no_help_text_cites_internal_history() {
    let mut pages = vec![(String::from("slaw"), help(&[]))];
    for c in subcommands(&pages[0].1) {
        let page = help(&[&c]);
        for sub in subcommands(&page) {
            pages.push((format!("slaw {c} {sub}"), help(&[&c, &sub])));
        }
        pages.push((format!("slaw {c}"), page));
    }
    assert!(pages.len() > 20, "{} help pages", pages.len());
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    for (name, page) in &pages {
        let w = words(page);
        for pair in w.windows(2) {
            let issue = matches!(pair[0].as_str(), "issue" | "issues")
                && pair[1].chars().all(|c| c.is_ascii_digit());
            let branch = matches!(pair[0].as_str(), "branch" | "branches");
            let push = pair[1] == "push"
                && matches!(
                    pair[0].as_str(),
                    "first" | "second" | "third" | "fourth" | "fifth" | "sixth" | "seventh"
                );
            let history = issue || branch || push;
            assert!(
                !history,
                "{name} --help cites history: '{} {}'",
                pair[0], pair[1]
            );
        }
    }
}

/// README: every `--report` page holds the figures, but `compare` draws
/// none; its page has no `<svg>`, as the README says.
#[test]
fn readme_says_compares_report_page_has_no_figure() {
    let readme =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(
        readme.contains("`compare` draws none, so\nits page has no figure")
            || readme.contains("`compare` draws none, so its page has no figure"),
        "README no longer says compare's page has no figure"
    );
    let dir = TempDir::new().unwrap();
    let csv = dir.path().join("curve.csv");
    let mut s = String::from("n,loss\n");
    for k in 0..10 {
        let n = 200.0 * 2f64.powi(k);
        s += &format!(
            "{n},{}\n",
            2.0 + 30.0 * n.powf(-0.3) * (1.0 + 0.003 * (k % 3) as f64)
        );
    }
    fs::write(&csv, s).unwrap();
    let page = dir.path().join("compare.html");
    let out = slaw()
        .arg("compare")
        .arg(&csv)
        .args([
            "--x",
            "n",
            "--y",
            "loss",
            "--laws",
            "power,rectified",
            "--report",
        ])
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.contains("<table"), "the page holds the tables");
    assert!(
        !html.contains("<svg"),
        "compare's page now has a figure: update README"
    );
}

fn readme() -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap()
}

/// README's allocate figure is what its first allocate command prints.
#[test]
fn readme_allocate_exponent_is_what_the_command_prints() {
    let Some(data) = common::shared("chinchilla/svg_extracted_data.csv") else {
        return;
    };
    let out = slaw()
        .arg("allocate")
        .arg(&data)
        .args(["--n-col", "Model Size", "--flops-col", "Training FLOP"])
        .args(["--drop-highest", "5", "--json"])
        .output()
        .unwrap();
    let j = common::json_of(&out);
    let a = j["exponent_n"].as_f64().unwrap();
    let lo = j["exponent_n_interval"]["lo"].as_f64().unwrap();
    let hi = j["exponent_n_interval"]["hi"].as_f64().unwrap();
    let text = format!("a = {a:.3} [{lo:.3}, {hi:.3}] (1000 replicates");
    let flat = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&text), "README should say: {text}");
}

/// README points a newcomer to BENCHMARKS.md sections by their titles, not
/// by issue numbers or branch names.
#[test]
fn readme_cites_no_issue_numbers_or_branches() {
    let readme = readme();
    let w: Vec<String> = readme
        .split(|c: char| !c.is_alphanumeric())
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase)
        .collect();
    for pair in w.windows(2) {
        let history = matches!(pair[0].as_str(), "issue" | "issues")
            && pair[1].chars().all(|c| c.is_ascii_digit());
        assert!(!history, "README cites '{} {}'", pair[0], pair[1]);
    }
    assert!(!readme.contains("branch `"), "README cites a branch");
}
