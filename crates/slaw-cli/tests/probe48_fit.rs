//! probe48: what a new user probing `slaw fit`'s text found (finding 7).

mod common;

use common::{slaw, write};
use predicates::prelude::*;
use tempfile::TempDir;

/// A prediction's bootstrap interval was a bare bracket beside a labelled
/// extrapolation interval (and the only, unlabelled, interval of a law of
/// several inputs); the standard errors of the default Huber fit, Huber's
/// sandwich variance, were called "Gauss-Newton at the optimum" alone.
#[test]
fn the_prediction_interval_and_the_standard_errors_say_what_they_are() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("x,loss\n");
    for k in 0..12u64 {
        let x = 100.0 * 2f64.powi(k as i32);
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        s += &format!("{x},{}\n", (8.0 * x.powf(-0.3) + 2.0) * (1.0 + 0.01 * u));
    }
    let f = write(&dir, "c.csv", &s);
    let run = |objective: &str| {
        slaw()
            .args(["fit", &f, "--law", "power", "--x", "x", "--y", "loss"])
            .args([
                "--objective",
                objective,
                "--bootstrap",
                "40",
                "--predict",
                "1e6",
            ])
            .assert()
            .success()
    };
    run("huber")
        .stdout(predicate::str::is_match(r"predict x=1e\+?6: [0-9.]+   bootstrap 95%: \[").unwrap())
        .stdout(predicate::str::contains(
            "(+/-: standard errors, Gauss-Newton at the optimum with Huber's sandwich variance)",
        ));
    run("squared")
        .stdout(predicate::str::contains("bootstrap 95%: ["))
        .stdout(predicate::str::contains(
            "(+/-: standard errors, Gauss-Newton at the optimum)",
        ));
}

/// Finding 5: on the predicted-vs-observed figure of a law of several
/// inputs, a prediction's bootstrap interval was a strip across the whole
/// observed range, labelled as the one-input figure's band; it is a bar
/// through the prediction, said to be the prediction's interval.
#[test]
fn a_prediction_interval_of_several_inputs_is_a_bar_said_so() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("N,D,loss\n");
    for i in 0..6 {
        for j in 0..5 {
            let (n, d) = (7e7 * 2f64.powi(i), 1e9 * 2f64.powi(j));
            let u = (((i * 7 + j * 3) % 5) as f64 - 2.0) * 0.004;
            let l = (1.69 + 406.4 / n.powf(0.34) + 410.7 / d.powf(0.28)) * (1.0 + u);
            s += &format!("{n},{d},{l}\n");
        }
    }
    let f = write(&dir, "c.csv", &s);
    let svg = dir.path().join("p.svg");
    slaw()
        .args([
            "fit",
            &f,
            "--law",
            "chinchilla",
            "--x",
            "N,D",
            "--y",
            "loss",
        ])
        .args(["--bootstrap", "40", "--predict", "7e10,1.4e12", "--plot"])
        .arg(&svg)
        .assert()
        .success();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("95% bootstrap of the prediction"), "legend");
    assert!(!text.contains("bootstrap (point noise)"));
}
