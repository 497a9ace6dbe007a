//! Probe 67's findings (a new user's files): an input inferred from a file
//! without its loss column, or from a header without rows, gets the error
//! that names what is missing; errors about a value name the value; a
//! formula's unused parameter is not "at position 0"; `compare`'s drift
//! note prints the last x in the report's number format; a row without its
//! run name is an error. Every input is built here.

mod common;

use common::{run, write};
use tempfile::TempDir;

/// Points of L = 2 + 50 n^-0.3 at n = 100 * 2^k, k < `count`, as
/// "n,loss" rows (no header), with `scale` times n written.
fn power_rows(count: usize, scale: f64) -> String {
    (0..count)
        .map(|k| {
            let n = 100.0 * 2f64.powi(k as i32);
            format!("{},{}\n", n * scale, 2.0 + 50.0 * n.powf(-0.3))
        })
        .collect()
}

#[test]
fn a_file_without_its_loss_column_says_so_when_the_input_is_inferred() {
    let dir = TempDir::new().unwrap();
    let f = write(
        &dir,
        "odd.csv",
        &format!("Tokens (B),Val Loss [nats]\n{}", power_rows(7, 1e-3)),
    );
    let (code, _, err) = run(dir.path(), &["fit", &f, "--law", "power"]);
    assert_eq!(code, 2, "{err}");
    // The missing loss column is the error, with the flag that names it;
    // not "2 numeric columns besides the loss 'loss' could be inputs".
    assert!(
        err.contains("column 'loss': no such column (columns are: Tokens (B), Val Loss [nats])"),
        "{err}"
    );
    assert!(
        err.contains("--y (or --loss-col) names this column"),
        "{err}"
    );
    assert!(!err.contains("could be inputs"), "{err}");
    // compare reads its input the same way.
    let (code, _, err) = run(dir.path(), &["compare", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("column 'loss': no such column"), "{err}");

    // Naming the loss column, the one other column is the input.
    let (code, out, err) = run(
        dir.path(),
        &["fit", &f, "--law", "power", "--y", "Val Loss [nats]"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("x: Tokens (B) (the only numeric column besides Val Loss [nats])"),
        "{out}"
    );

    // A loss column made by --derive is not missing.
    let (code, out, err) = run(
        dir.path(),
        &[
            "fit",
            &f,
            "--law",
            "power",
            "--derive",
            "loss=`Val Loss [nats]`",
            "--x",
            "Tokens (B)",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn a_header_without_rows_is_no_data_rows_with_or_without_x() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "hdr.csv", "n,loss\n");
    for args in [
        vec!["fit", f.as_str(), "--law", "power"],
        vec!["fit", f.as_str(), "--law", "power", "--x", "n"],
        vec!["compare", f.as_str()],
    ] {
        let (code, _, err) = run(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("hdr.csv: no data rows"), "{args:?}: {err}");
        assert!(!err.contains("no numeric column"), "{args:?}: {err}");
    }
}

#[test]
fn a_loss_or_size_out_of_range_is_named_with_its_value() {
    let dir = TempDir::new().unwrap();
    // select, long format: a negative loss and a negative size.
    let mut pool = String::from("model,n,loss\n");
    for m in ["a", "b", "c"] {
        for k in 0..8 {
            let n = 200.0 * 2f64.powi(k);
            pool += &format!("{m},{n},{}\n", 1.0 + 5.0 / (1.0 + n).powf(0.3));
        }
    }
    let neg = pool.replacen("a,400,", "a,400,-", 1);
    let f = write(&dir, "neg.csv", &neg);
    let (code, _, err) = run(dir.path(), &["select", &f, "--target", "102400"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("neg.csv, row 3, column 'loss': a loss must be > 0, got -"),
        "{err}"
    );
    let negn = pool.replacen("b,800,", "b,-800,", 1);
    let f = write(&dir, "negn.csv", &negn);
    let (code, _, err) = run(dir.path(), &["select", &f, "--target", "102400"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("column 'n': a fine-tuning size must be >= 0, got -800"),
        "{err}"
    );

    // select, wide format: a zero loss.
    let f = write(
        &dir,
        "wide.csv",
        "model,200,400,800,1600\na,3,2.9,2.8,2.7\nb,3.1,0,2.9,2.8\nc,3.2,3.1,3,2.9\n",
    );
    let (code, _, err) = run(dir.path(), &["select", &f, "--target", "102400"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("wide.csv, row 3, column '400': a loss must be > 0, got 0"),
        "{err}"
    );

    // forecast: a negative loss in a curve.
    let mut curve = String::from("step,loss\n");
    for s in (100..=3000).step_by(100) {
        let l = 2.5 + 8.0 * f64::from(s).powf(-0.4);
        curve += &format!("{s},{}\n", if s == 700 { -l } else { l });
    }
    let f = write(&dir, "curve.csv", &curve);
    let (code, _, err) = run(dir.path(), &["forecast", &f, "--fit-until", "0.5"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("curve.csv, row 8, column 'loss': must be > 0, got -"),
        "{err}"
    );
}

#[test]
fn a_formula_parameter_it_does_not_use_has_no_position() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "p.csv", &format!("n,loss\n{}", power_rows(8, 1.0)));
    let (code, _, err) = run(
        dir.path(),
        &["fit", &f, "--formula", "A*n^-b + E", "--params", "A,b,E,Z"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("formula 'A*n^-b + E': parameter 'Z' is listed among its parameters but does not appear in it"),
        "{err}"
    );
    assert!(!err.contains("position"), "{err}");
}

#[test]
fn compare_drift_note_prints_the_last_x_in_the_report_format() {
    let dir = TempDir::new().unwrap();
    // Points whose last x has many digits (a log-spaced grid of 12).
    let mut s = String::from("n,loss\n");
    for k in 0..12 {
        let n = 10f64.powf(2.0 + 4.0 * f64::from(k) / 11.0);
        s += &format!("{n},{}\n", 2.0 + 50.0 * n.powf(-0.3));
    }
    let f = write(&dir, "grid.csv", &s);
    let (code, out, err) = run(dir.path(), &["compare", &f, "--predict", "1e7"]);
    assert_eq!(code, 0, "{out}{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("drift correction beyond the data"))
        .unwrap_or_else(|| panic!("no drift line: {out}"));
    assert!(line.contains("ln(x / 1e6)"), "{line}");
}

#[test]
fn a_row_without_its_run_name_is_an_error_not_a_run_called_blank() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("run,step,loss\n");
    for (run, a) in [("a", 2.5), ("", 2.3)] {
        for step in (100..=3000).step_by(100) {
            s += &format!("{run},{step},{}\n", a + 8.0 * f64::from(step).powf(-0.4));
        }
    }
    let f = write(&dir, "runs.csv", &s);
    let (code, out, err) = run(
        dir.path(),
        &["forecast", &f, "--run-col", "run", "--fit-until", "0.5"],
    );
    assert_eq!(code, 2, "{out}{err}");
    // The first row of the second run (30 rows of 'a' after the header).
    assert!(
        err.contains(
            "runs.csv, row 32, column 'run': empty cell: every row needs the name of its run"
        ),
        "{err}"
    );
    // Named, the same rows are two runs.
    let named = s.replace("\n,", "\nb,");
    let f = write(&dir, "named.csv", &named);
    let (code, out, err) = run(
        dir.path(),
        &["forecast", &f, "--run-col", "run", "--fit-until", "0.5"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 runs"), "{out}");
}
