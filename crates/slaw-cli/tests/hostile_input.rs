//! A new user's hostile inputs (the audit of branch `aud`): every case here
//! once printed NaN or inf, or an unclear message, with a zero exit. Each
//! test asserts the exit code and what the output now says instead.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// Six points of a falling curve, `good.csv` in `dir`: a valid input the
/// tests break one flag at a time.
fn good_csv(dir: &Path) -> PathBuf {
    write(
        dir,
        "good.csv",
        "x,loss\n100,3.0\n200,2.8\n400,2.6\n800,2.5\n1600,2.45\n3200,2.42\n",
    )
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// No NaN or infinity printed as a number (words like "n/a" instead).
fn no_nan_or_inf() -> impl Predicate<str> {
    predicate::str::contains("NaN")
        .or(predicate::str::contains("inf,"))
        .or(predicate::str::contains("-inf"))
        .or(predicate::str::is_match(r"[ =:]inf\b").unwrap())
        .not()
}

/// A constant loss leaves R^2 undefined: `fit` printed "R^2 NaN" and
/// `forecast` "R^2 -inf"; both now say n/a and why (JSON: null).
#[test]
fn constant_loss_prints_no_nan_r2() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "const.csv",
        "x,loss\n100,2.5\n200,2.5\n400,2.5\n800,2.5\n1600,2.5\n3200,2.5\n",
    );
    slaw()
        .args(["fit", &s(&f), "--law", "power", "--x", "x", "--y", "loss"])
        .assert()
        .success()
        .stdout(predicate::str::contains("R^2 n/a"))
        .stdout(predicate::str::contains(
            "the observed losses are all equal",
        ))
        .stdout(no_nan_or_inf());
    // the several-group summary table too
    let g = write(
        dir.path(),
        "groups.csv",
        "x,loss,g\n100,2.5,a\n200,2.5,a\n400,2.5,a\n800,2.5,a\n\
         100,3.0,b\n200,2.8,b\n400,2.6,b\n800,2.5,b\n",
    );
    slaw()
        .args(["fit", &s(&g), "--law", "power", "--x", "x", "--y", "loss"])
        .args(["--group", "g"])
        .assert()
        .stdout(predicate::str::contains("n/a"))
        .stdout(no_nan_or_inf());
    let c = write(
        dir.path(),
        "curve.csv",
        &(1..=10).fold(String::from("step,loss\n"), |t, k| {
            t + &format!("{},4.0\n", 100 * k)
        }),
    );
    slaw()
        .args(["forecast", &s(&c), "--fit-until", "0.5"])
        .assert()
        .success()
        .stdout(predicate::str::contains("R^2 n/a"))
        .stdout(no_nan_or_inf());
    let out = slaw()
        .args(["forecast", &s(&c), "--fit-until", "0.5", "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["heldout"]["r2"].is_null(), "{}", j["heldout"]);
}

/// Duplicate x (a steepening that cannot be measured): `compare` printed
/// "the window's steepening: NaN". Every point at one x: as `fit` on such
/// points, no law is better than a constant, exit 3 (ux50).
#[test]
fn compare_on_unmeasurable_steepening_says_so() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "dup.csv",
        "x,loss\n100,3.0\n100,2.8\n100,2.6\n100,2.5\n100,2.45\n100,2.4\n",
    );
    slaw()
        .args(["compare", &s(&f), "--x", "x", "--y", "loss"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "the window's steepening: not measurable on these points",
        ))
        .stdout(no_nan_or_inf());
}

/// A formula law outside its domain at `--predict` printed "predict x=0:
/// inf" with exit 0; now exit 2 naming the input and value.
#[test]
fn formula_prediction_outside_its_domain_is_an_error() {
    let dir = TempDir::new().unwrap();
    let f = good_csv(dir.path());
    slaw()
        .args(["fit", &s(&f), "--formula", "A/x^alpha + E"])
        .args(["--params", "A,alpha,E", "--x", "x", "--y", "loss"])
        .args(["--predict", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--predict"))
        .stderr(predicate::str::contains("cannot predict at x = 0"))
        .stderr(predicate::str::contains("good.csv"))
        .stdout(predicate::str::contains("inf").not());
}

/// `allocate --params` far outside any fitted range overflowed N_opt to inf
/// (and D_opt to 0) with exit 0.
#[test]
fn allocate_parameters_that_overflow_are_refused() {
    slaw()
        .args(["allocate", "--params", "1e300,0.34,410.7,0.28,1.69"])
        .args(["--budget", "5.76e23"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--params"))
        .stderr(predicate::str::contains("not representable"))
        .stdout(predicate::str::is_empty());
}

/// Issue 14: `allocate` reported a law whose parameters the data do not pin
/// (a constant loss; E at its bound) without a word; it now warns, in the
/// text and the JSON.
#[test]
fn allocate_flags_parameters_the_data_do_not_pin() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "flat.csv",
        "N,D,loss\n1e8,1e9,3\n2e8,2e9,3\n4e8,4e9,3\n1e8,4e9,3\n4e8,1e9,3\n2e8,8e9,3\n\
         8e8,2e9,3\n8e8,8e9,3\n",
    );
    let args = ["allocate", &s(&f), "--n-col", "N", "--d-col", "D"];
    slaw()
        .args(args)
        .args(["--bootstrap", "0"])
        .assert()
        .success()
        .stdout(predicate::str::contains("warning: the data do not pin"));
    let out = slaw()
        .args(args)
        .args(["--bootstrap", "0", "--json"])
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let unpinned = j["fit"]["unidentified"].as_array().unwrap();
    assert!(unpinned.iter().any(|p| p == "alpha"), "{}", j["fit"]);
    assert!(!j["fit"]["warnings"].as_array().unwrap().is_empty());
    slaw()
        .args(args)
        .args(["--bootstrap", "0", "--method", "all"])
        .assert()
        .stdout(predicate::str::contains(
            "warning: parametric: the data do not pin",
        ));
}

/// Runs of three fine-tuning methods with the same constant loss: joint
/// laws that the data cannot pin, and methods that cannot be told apart.
fn flat_joint_csv() -> String {
    let mut t = String::from("method,model_size,pretrain_tokens,data,loss\n");
    for m in ["fmt", "lora", "prompt"] {
        for x in [1e8, 3e8, 1e9, 3e9, 1e10] {
            for d in [1e3, 3e3, 1e4, 3e4, 1e5] {
                t += &format!("{m},{x},,{d},2.5\n");
                t += &format!("{m},,{},{d},2.5\n", x * 100.0);
            }
        }
    }
    t
}

/// `joint` noted only the shared term's bounds: a factor's (A, alpha) at a
/// bound, or a shared parameter in a flat direction, passed silently
/// (issue 14). `methods` printed none of the notes, "recommended: fmt" for a
/// three-way tie, and every D_f of its grid (hundreds) as a "crossing" of
/// two identical laws.
#[test]
fn joint_and_methods_on_a_constant_loss_say_what_is_not_pinned() {
    let dir = TempDir::new().unwrap();
    let f = write(dir.path(), "flat.csv", &flat_joint_csv());
    let factors = ["--factor", "model_size", "--factor", "pretrain_tokens"];
    slaw()
        .args(["joint", &s(&f)])
        .args(factors)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            ", factor pretrain_tokens: alpha at a bound",
        ))
        .stdout(predicate::str::contains("not pinned by the data"));
    let out = slaw()
        .args(["methods", &s(&f)])
        .args(factors)
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "0",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("tied with"), "{text}");
    assert!(
        text.contains("no crossing: the two methods' losses are equal over the whole range"),
        "{text}"
    );
    assert!(text.contains("warning: method fmt:"), "{text}");
    assert!(text.lines().all(|l| l.len() < 300), "{text}");
}

/// Messages that named the file but not the way out: a `|`-separated file
/// ("no such column (columns are: x|loss)"; a `;`-separated one is read,
/// fx46b), a `--fit-until` before the
/// first step ("0 points to fit"), a `--target` whose budget is below every
/// measured size ("found 0").
#[test]
fn unclear_messages_now_say_what_to_change() {
    let dir = TempDir::new().unwrap();
    let semi = write(
        dir.path(),
        "semi.csv",
        "x|loss\n100|3.0\n200|2.8\n400|2.6\n800|2.5\n",
    );
    slaw()
        .args([
            "fit",
            &s(&semi),
            "--law",
            "power",
            "--x",
            "x",
            "--y",
            "loss",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("semi.csv, column 'x'"))
        .stderr(predicate::str::contains("one column holding '|'"));
    let curve = write(
        dir.path(),
        "curve.csv",
        &(1..=10).fold(String::from("step,loss\n"), |t, k| {
            t + &format!("{},{}\n", 100 * k, 3.0 + 2.0 / k as f64)
        }),
    );
    slaw()
        .args(["forecast", &s(&curve), "--fit-until", "1.5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--fit-until"))
        .stderr(predicate::str::contains(
            "before the curve's first step 100",
        ));
    let long = write(
        dir.path(),
        "long.csv",
        "model,n,loss\na,200,3.0\na,400,2.9\na,800,2.8\na,1600,2.7\n\
         b,200,3.1\nb,400,2.95\nb,800,2.7\nb,1600,2.5\n",
    );
    slaw()
        .args(["select", &s(&long), "--target", "100", "--budget", "1/64"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("candidate 'a'"))
        .stderr(predicate::str::contains("sizes > 0 start at 200"));
}

/// A `--plot`/`--report` into a folder that does not exist failed only after
/// the whole computation (with the text already printed); now at once.
/// `--decay-fractions 0` was reported as a bad `--schedule` spec the user
/// never wrote.
#[test]
fn output_paths_and_decay_fractions_are_checked_before_any_work() {
    let dir = TempDir::new().unwrap();
    let f = good_csv(dir.path());
    let missing = dir.path().join("no-such-folder");
    for (flag, name) in [("--plot", "f.svg"), ("--report", "r.html")] {
        slaw()
            .args(["fit", &s(&f), "--law", "power", "--x", "x", "--y", "loss"])
            .args([flag, &s(&missing.join(name))])
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains("does not exist"))
            .stderr(predicate::str::contains("no-such-folder"));
    }
    let curve = write(
        dir.path(),
        "run.csv",
        &(1..=40).fold(String::from("step,lr,loss\n"), |t, k| {
            t + &format!("{},3e-4,{}\n", 100 * k, 3.0 + 2.0 / k as f64)
        }),
    );
    slaw()
        .args([
            "schedule",
            &s(&curve),
            "--optimize-wsd",
            "peak=3e-4,final=3e-5",
        ])
        .args(["--steps", "4000", "--decay-fractions", "0,0.2"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--decay-fractions"))
        .stderr(predicate::str::contains("got 0"));
}

/// `--holdout largest:10` on 6 points said "fitting good.csv: good.csv: 0
/// points but law 'power' has 3 free parameters" (the file twice, and not
/// that the hold-out took them).
#[test]
fn a_holdout_that_leaves_too_few_points_says_so() {
    let dir = TempDir::new().unwrap();
    let f = good_csv(dir.path());
    slaw()
        .args(["fit", &s(&f), "--law", "power", "--x", "x", "--y", "loss"])
        .args(["--holdout", "largest:4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--holdout: holding out 4 point(s) leaves 2 to fit",
        ));
    let one = write(dir.path(), "one.csv", "x,loss\n100,3.0\n");
    let out = slaw()
        .args(["fit", &s(&one), "--law", "power", "--x", "x", "--y", "loss"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.matches("one.csv").count(), 1, "{err}");
    assert!(err.contains("fewer points than parameters"), "{err}");
}

/// `fit --group`: one group with fewer points than the law's parameters
/// stopped the fit of every other group (exit 2, no output). It is skipped
/// with a warning (text and JSON `warnings`, `skipped`), the others are
/// fitted, and the exit status is 3, as `forecast` skips a run. A single
/// group with too few points is still the error above.
#[test]
fn a_group_with_too_few_points_is_skipped_not_the_end_of_the_others() {
    let dir = TempDir::new().unwrap();
    let mut text = String::from("run,x,loss\n");
    for run in ["a", "b"] {
        for k in 0..8 {
            let x = 100.0 * 2f64.powi(k);
            let e = if run == "a" { 1.5 } else { 1.8 };
            text += &format!("{run},{x},{}\n", e + 20.0 / x.powf(0.4));
        }
    }
    text += "tiny,100,4.0\ntiny,200,3.9\n";
    let f = write(dir.path(), "groups.csv", &text);
    let args = ["fit", &s(&f), "--law", "power", "--x", "x", "--y", "loss"];
    slaw()
        .args(args)
        .args(["--group", "run"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "warning: group 'tiny': 2 points to fit but law 'power' has 3 free parameters: not fitted",
        ))
        .stderr(predicate::str::contains("1 group(s) not fitted"));
    let out = slaw()
        .args(args)
        .args(["--group", "run", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["a", "b"]);
    assert_eq!(v["skipped"][0]["group"], "tiny");
    assert!(v["warnings"][0].as_str().unwrap().contains("group 'tiny'"));
    // without the tiny group: success, and the same fits
    let two = write(
        dir.path(),
        "two.csv",
        &text
            .lines()
            .filter(|l| !l.starts_with("tiny"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let out2 = slaw()
        .args(["fit", &s(&two), "--law", "power", "--x", "x", "--y", "loss"])
        .args(["--group", "run", "--json"])
        .output()
        .unwrap();
    assert!(out2.status.success());
    let v2: serde_json::Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert_eq!(v["groups"], v2["groups"]);
}

/// `--level -0.1` (and `--target -5`) were taken for flags: "unexpected
/// argument '-0' found", with a tip (`-- -0`) that does not help. They now
/// reach the range checks, which name the flag and the value.
#[test]
fn negative_numbers_reach_the_range_checks() {
    let dir = TempDir::new().unwrap();
    let f = good_csv(dir.path());
    slaw()
        .args(["fit", &s(&f), "--law", "power", "--x", "x", "--y", "loss"])
        .args(["--level", "-0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--level must be between 0 and 1, got -0.1",
        ));
    let long = write(
        dir.path(),
        "long.csv",
        "model,n,loss\na,200,3.0\na,400,2.9\na,800,2.8\na,1600,2.7\n",
    );
    slaw()
        .args(["select", &s(&long), "--target", "-5", "--max-n", "1600"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--target: must be > 0, got -5"));
}

/// Every point at the same x: the fit used to report parameters as fitted
/// (some flagged as not pinned, the exponent with a small standard error)
/// without saying why; it now names the input that does not vary (and
/// the fit, a constant there, is no better than a constant: exit 3).
#[test]
fn an_input_that_never_varies_is_named() {
    let dir = TempDir::new().unwrap();
    let f = write(
        dir.path(),
        "same_x.csv",
        "x,loss\n5,2.0\n5,1.9\n5,1.8\n5,1.85\n5,1.7\n",
    );
    slaw()
        .args(["fit", &s(&f), "--x", "x", "--y", "loss", "--law", "power"])
        .assert()
        // at one x the law is a constant: no better than one (exit 3)
        .code(3)
        .stdout(predicate::str::contains(
            "input 'x' takes one value (5) at every fitted point",
        ))
        .stdout(predicate::str::contains(
            "status: FAILED: no better than a constant",
        ));
}

/// On noise-free data whose true exponent is one of the grid's starting
/// values the optimum *is* that start: the fit pins it to 1e-16, so it is
/// not reported as "stayed at its starting value" (it once was).
#[test]
fn an_exact_fit_at_a_grid_start_is_not_flagged() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("x,loss\n");
    for k in 0..20 {
        let x = 10f64 * 10f64.powf(4.0 * k as f64 / 19.0);
        csv += &format!("{x},{}\n", x.powf(-0.3) + 1.5);
    }
    let f = write(dir.path(), "exact.csv", &csv);
    let out = slaw()
        .args([
            "fit",
            &s(&f),
            "--law",
            "power",
            "--x",
            "x",
            "--y",
            "loss",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v.to_string();
    let id = &v["groups"][0]["fit"]["identifiability"];
    assert_eq!(id["at_start"].as_array().map(Vec::len), Some(0), "{text}");
    assert_eq!(
        id["unidentified"].as_array().map(Vec::len),
        Some(0),
        "{text}"
    );
    assert!(!text.contains("starting value"), "{text}");
    let alpha = v["groups"][0]["fit"]["params"]["alpha"].as_f64();
    assert!(alpha.is_some_and(|a| (a - 0.3).abs() < 1e-9), "{text}");
}
