//! probe48: leftovers of probe47's forecast findings (its item 7e, 7i).

mod common;

use common::{json_of, shared, slaw, write};
use tempfile::TempDir;

/// probe47 7e: `--fit-until 0.2` on a log resumed from a checkpoint (steps
/// 50000..100000) was a fraction of the last step, 20000, before the first:
/// an error. It is now a fraction of the logged span: up to step 60000. A
/// log from step 0 is cut as before (a fraction of its last step), and the
/// help says so.
#[test]
fn a_fraction_is_of_the_logged_span() {
    let dir = TempDir::new().unwrap();
    let curve = |from: u64| {
        let mut s = String::from("step,loss\n");
        for k in 0..=100u64 {
            let t = from + 500 * k;
            let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            let l = (2.0 + 30.0 / (t.max(1) as f64).sqrt()) * (1.0 + 0.002 * u);
            s += &format!("{t},{l}\n");
        }
        s
    };
    let fit_until = |name: &str, from: u64| {
        let f = write(&dir, name, &curve(from));
        let out = slaw()
            .args(["forecast", &f, "--fit-until", "0.2", "--json"])
            .output()
            .unwrap();
        json_of(&out)["fit_until_step"].as_f64().unwrap()
    };
    assert_eq!(fit_until("late.csv", 50000), 60000.0);
    // Steps 500..50500 (step 0 is not a training step): 500 + 0.2 x 50000.
    assert_eq!(fit_until("early.csv", 500), 10500.0);
    slaw()
        .args(["forecast", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "fraction (<= 1) of the logged span",
        ));
}

/// probe47 7i: on a window before the decay, multipower's annealing
/// parameters at a bound each had a warning of their own beside the one
/// that matters ("annealing terms not pinned"); they are named in it.
#[test]
fn annealing_parameters_at_a_bound_are_named_in_the_not_pinned_warning() {
    let Some(d) = shared("loss-curves/multipower/25") else {
        return;
    };
    let f = d.join("cosine_24000.csv").display().to_string();
    let out = slaw()
        .args([
            "forecast",
            &f,
            "--fit-until",
            "step:6000",
            "--method",
            "multipower",
        ])
        .args(["--bootstrap", "0", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let w: Vec<&str> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        w[0].starts_with("the multipower law's forecast would depend on its annealing parameters"),
        "{w:?}"
    );
    assert!(w[0].contains("ended at a bound"), "{w:?}");
    for p in ["B", "C", "beta", "gamma"] {
        assert!(
            !w.contains(&format!(
                "parameter {p} is at a bound of its range: the data do not pin it, and the forecast may follow the bound"
            )
            .as_str()),
            "{w:?}"
        );
    }
}
