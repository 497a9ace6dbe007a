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
