//! ux63: small user-facing defects found by new-user probes.

mod common;

use common::{json_of, run, write};

/// A two-column `n,loss` file from a power law (loss 2 + 30 n^-0.4).
fn two_columns() -> String {
    let mut s = String::from("n,loss\n");
    for k in 0..10 {
        let n = 100.0 * 2f64.powi(k);
        s += &format!("{n},{}\n", 2.0 + 30.0 * n.powf(-0.4));
    }
    s
}

#[test]
fn ux63_fit_and_compare_take_the_only_numeric_column_as_x() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "two.csv", &two_columns());
    let note = "note: x: n (the only numeric column besides loss)";
    // fit: the note on stdout before the report, the fit as with --x n
    let (code, out, err) = run(dir.path(), &["fit", &f, "--law", "power"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(note), "{out}");
    let (code, with_x, _) = run(dir.path(), &["fit", &f, "--law", "power", "--x", "n"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.strip_prefix(note).unwrap().trim_start(),
        with_x.trim_start()
    );
    // beside JSON the note is on stderr, the JSON as with --x n
    let o = common::slaw()
        .args(["fit", &f, "--law", "power", "--json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains(note));
    let o_x = common::slaw()
        .args(["fit", &f, "--law", "power", "--json", "--x", "n"])
        .output()
        .unwrap();
    assert_eq!(json_of(&o), json_of(&o_x));
    // compare reads the same way (its backtest pick and its hold-out ranking)
    for extra in [&[][..], &["--holdout", "largest:2"][..]] {
        let mut args = vec!["compare", f.as_str(), "--laws", "power,vanilla-ft"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(note), "{out}");
        args.extend(["--x", "n"]);
        let (_, with_x, _) = run(dir.path(), &args);
        assert_eq!(
            out.strip_prefix(note).unwrap().trim_start(),
            with_x.trim_start()
        );
    }
}

#[test]
fn ux63_several_candidate_columns_are_listed_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "runs.csv",
        "model,N,D,loss\na,1e8,2e9,3.1\nb,2e8,4e9,2.9\nc,4e8,8e9,2.7\n",
    );
    for cmd in ["fit", "compare"] {
        let (code, _, err) = run(
            dir.path(),
            &[cmd, &f, "--law", "chinchilla"][..if cmd == "fit" { 4 } else { 2 }],
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("2 numeric columns besides the loss 'loss' could be inputs: N, D")
                && err.contains("with --x"),
            "{cmd}: {err}"
        );
    }
    // a group column is not a candidate: the one left is chosen
    let (code, out, err) = run(dir.path(), &["fit", &f, "--law", "power", "--group", "N"]);
    assert!(
        out.contains("note: x: D (the only numeric column besides loss)"),
        "{code} {out} {err}"
    );
}
