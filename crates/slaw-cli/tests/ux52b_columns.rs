//! ux52b, probe52 finding 10: a missing column the user never typed (a
//! default) gets the flag that names it and a near column of the file.

use assert_cmd::Command;
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

fn stderr_of(args: &[&str]) -> String {
    let out = slaw().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn forecast_names_step_col_and_the_near_column() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("wandb.csv");
    // Two numeric columns besides the loss (with one, Step, it is taken as
    // the step, with a note: ux64.rs): the step must be named.
    let mut csv = String::from("Step,epoch,run-1 - train/loss,run-1 - train/loss__MIN\n");
    for i in 1..=40 {
        let l = 3.0 / (1.0 + i as f64 / 5.0) + 2.0;
        csv += &format!("{i},{},{l},{l}\n", i as f64 / 40.0);
    }
    fs::write(&f, csv).unwrap();
    let f = f.to_str().unwrap();
    let e = stderr_of(&["forecast", f]);
    assert!(e.contains("column 'step': no such column"), "{e}");
    assert!(
        e.contains("(--step-col names this column, 'step' by default; did you mean 'Step'?)"),
        "{e}"
    );
    // (With --step-col Step, the W&B export's one loss column is read for
    // the default `loss`: ux53_fixes.rs.) A loss column that only ends
    // with the name: the hint names it.
    let g = dir.path().join("own.csv");
    let mut csv = String::from("step,my_train_loss\n");
    for i in 1..=40 {
        let l = 3.0 / (1.0 + i as f64 / 5.0) + 2.0;
        csv += &format!("{i},{l}\n");
    }
    fs::write(&g, csv).unwrap();
    let e = stderr_of(&["forecast", g.to_str().unwrap()]);
    assert!(
        e.contains(
            "--loss-col names this column, 'loss' by default; did you mean 'my_train_loss'?"
        ),
        "{e}"
    );
}

#[test]
fn select_fit_compare_methods_name_their_flags() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("a.csv");
    fs::write(
        &f,
        "Model,N,Loss\na,100,3\na,200,2.9\na,400,2.8\na,800,2.7\n",
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let e = stderr_of(&["select", f, "--target", "1600"]);
    assert!(
        e.contains("(--model-col names this column, 'model' by default; did you mean 'Model'?)"),
        "{e}"
    );
    // a name typed with its flag: said so, with the near name
    let e = stderr_of(&["select", f, "--target", "1600", "--model-col", "Modle"]);
    assert!(
        e.contains("('Modle' was given with --model-col; did you mean 'Model'?)"),
        "{e}"
    );
    let e = stderr_of(&["fit", f, "--law", "power", "--x", "n", "--y", "Loss"]);
    assert!(
        e.contains("('n' was given with --x; did you mean 'N'?)"),
        "{e}"
    );
    let e = stderr_of(&["compare", f, "--x", "N", "--y", "loss"]);
    assert!(
        e.contains("('loss' was given with --y; did you mean 'Loss'?)"),
        "{e}"
    );
    // no near column: the flag alone
    let e = stderr_of(&["allocate", f, "--flops-col", "N", "--budget", "1e21"]);
    assert!(
        e.contains("(--n-col names this column, 'N' by default)") || e.contains("--loss-col"),
        "{e}"
    );
}
