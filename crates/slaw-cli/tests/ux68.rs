//! Session 68's user-facing fixes: `fit` and `compare` take the loss column
//! as --loss-col too (the other commands' name for it). Every input is built
//! here.

mod common;

use common::{json_of, run, slaw, write};
use tempfile::TempDir;

/// Points of L = 2 + 50 n^-0.3 at n = 100 * 2^k, k < `count`, as rows of
/// `n,<loss>` under a header naming the loss column `loss`.
fn power_csv(count: usize, loss: &str) -> String {
    let mut s = format!("n,{loss}\n");
    for k in 0..count {
        let n = 100.0 * 2f64.powi(k as i32);
        s += &format!("{n},{}\n", 2.0 + 50.0 * n.powf(-0.3));
    }
    s
}

#[test]
fn fit_and_compare_take_the_loss_column_as_loss_col_too() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "p.csv", &power_csv(8, "val_loss"));
    // The same fit by either name of the flag.
    let json = |flag: &str| {
        let out = slaw()
            .current_dir(dir.path())
            .args([
                "fit", &f, "--law", "power", "--x", "n", flag, "val_loss", "--json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json_of(&out)
    };
    let by_y = json("--y");
    let by_loss_col = json("--loss-col");
    assert_eq!(by_y, by_loss_col);
    // the fit is of the named column (its law's floor near 2, as generated)
    let e = by_y["groups"][0]["fit"]["params"]["E"].as_f64();
    assert!(e.is_some_and(|e| (e - 2.0).abs() < 0.05), "{by_y}");

    let (code, out, err) = run(dir.path(), &["compare", &f, "--loss-col", "val_loss"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code2, out2, err2) = run(dir.path(), &["compare", &f, "--y", "val_loss"]);
    assert_eq!(code2, 0, "{err2}");
    assert_eq!(out, out2);

    // --help says so, on both commands.
    for cmd in ["fit", "compare"] {
        let (code, out, _) = run(dir.path(), &[cmd, "-h"]);
        assert_eq!(code, 0);
        let line = out
            .lines()
            .find(|l| l.contains("--y <Y>"))
            .unwrap_or_default();
        assert!(line.contains("[alias: --loss-col]"), "{out}");
        // the long help, which lists no aliases, says it in the flag's text
        let (code, out, _) = run(dir.path(), &[cmd, "--help"]);
        assert_eq!(code, 0);
        let text = out.split("--y <Y>").nth(1).unwrap_or_default();
        let text = text.split("\n      --").next().unwrap_or_default();
        assert!(
            text.contains("--loss-col") && text.contains("the same flag"),
            "{out}"
        );
    }
}

#[test]
fn a_missing_loss_column_is_hinted_by_the_flag_as_typed() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "p.csv", &power_csv(8, "val_loss"));
    // Given: the spelling the user typed.
    let (code, _, err) = run(
        dir.path(),
        &[
            "fit",
            &f,
            "--law",
            "power",
            "--x",
            "n",
            "--loss-col",
            "val-loss",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("('val-loss' was given with --loss-col; did you mean 'val_loss'?)"),
        "{err}"
    );
    let (code, _, err) = run(dir.path(), &["compare", &f, "--x", "n", "--y=val-loss"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("('val-loss' was given with --y; did you mean 'val_loss'?)"),
        "{err}"
    );
    // The default: both names.
    let (code, _, err) = run(dir.path(), &["fit", &f, "--law", "power", "--x", "n"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("(--y (or --loss-col) names this column, 'loss' by default"),
        "{err}"
    );
}

/// The points of `power_csv` as JSON objects, the third one's loss null.
fn power_objects(count: usize) -> Vec<String> {
    (0..count)
        .map(|k| {
            let n = 100.0 * 2f64.powi(k as i32);
            let loss = if k == 2 {
                "null".to_string()
            } else {
                format!("{}", 2.0 + 50.0 * n.powf(-0.3))
            };
            format!("{{\"n\": {n}, \"loss\": {loss}}}")
        })
        .collect()
}

#[test]
fn a_json_array_names_a_record_and_json_lines_a_line() {
    let dir = TempDir::new().unwrap();
    let objects = power_objects(7);
    // A JSON array on one line (as json.dumps writes it): "record 3", the
    // third object, not "row 3" (which a CSV would mean as its second data row).
    let a = write(&dir, "nulls.json", &format!("[{}]", objects.join(", ")));
    for cmd in [&["fit", &a, "--law", "power"][..], &["compare", &a]] {
        let (code, _, err) = run(dir.path(), cmd);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("nulls.json, record 3, column 'loss': empty cell"),
            "{err}"
        );
    }
    // JSON lines: the line in the file (a blank line counts).
    let l = write(
        &dir,
        "nulls.jsonl",
        &format!(
            "{}\n\n{}\n",
            objects[..2].join("\n"),
            objects[2..].join("\n")
        ),
    );
    let (code, _, err) = run(dir.path(), &["fit", &l, "--law", "power"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nulls.jsonl, row 4, column 'loss': empty cell"),
        "{err}"
    );
    // A value refused later (log space) is named alike.
    let neg = write(
        &dir,
        "neg.json",
        &format!("[{}]", objects.join(", ")).replace("null", "-1"),
    );
    let (code, _, err) = run(dir.path(), &["fit", &neg, "--law", "power"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("neg.json, record 3, column 'loss': value -1"),
        "{err}"
    );
    // A trainer_state.json's log_history: its entries are records too.
    let entries: Vec<String> = (1..=40)
        .map(|k| {
            let step = 100 * k;
            let loss = if k == 8 {
                -0.5
            } else {
                2.0 + 3.0 * (step as f64).powf(-0.4)
            };
            format!("{{\"step\": {step}, \"loss\": {loss}, \"learning_rate\": 0.001}}")
        })
        .collect();
    let ts = write(
        &dir,
        "trainer_state.json",
        &format!("{{\"log_history\": [{}]}}", entries.join(", ")),
    );
    let (code, _, err) = run(dir.path(), &["forecast", &ts]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("trainer_state.json, record 8, column 'loss': must be > 0, got -0.5"),
        "{err}"
    );
}

/// The provenance row of an HTML report for `input`: its text after the
/// input's name.
fn provenance_of(html: &str, input: &str) -> String {
    let at = html
        .find(&format!("<tr><th>input</th><td class=\"s\">{input}<br>"))
        .unwrap_or_else(|| panic!("no provenance row for {input}: {html}"));
    html[at..].lines().next().unwrap().to_string()
}

#[test]
fn a_report_hashes_standard_input_as_it_hashes_a_file() {
    let dir = TempDir::new().unwrap();
    let text = power_csv(8, "loss");
    let f = write(&dir, "p.csv", &text);
    let from_file = dir.path().join("file.html");
    let (code, _, err) = run(
        dir.path(),
        &[
            "fit",
            &f,
            "--law",
            "power",
            "--report",
            from_file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let by_path = provenance_of(&std::fs::read_to_string(&from_file).unwrap(), &f);
    assert!(by_path.contains("SHA-256 ") && by_path.contains(&format!("({} bytes)", text.len())));

    let from_stdin = dir.path().join("stdin.html");
    let out = slaw()
        .current_dir(dir.path())
        .args([
            "fit",
            "-",
            "--law",
            "power",
            "--report",
            from_stdin.to_str().unwrap(),
        ])
        .write_stdin(text.clone())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let by_stdin = provenance_of(&std::fs::read_to_string(&from_stdin).unwrap(), "-");
    assert!(!by_stdin.contains("not hashed"), "{by_stdin}");
    // the same bytes, the same digest and size as the file's
    let digest = |row: &str| row.split("<code>").nth(1).unwrap().to_string();
    assert_eq!(digest(&by_stdin), digest(&by_path));
}

/// A long pool of 8 rectified-law candidates, L = B / (D_l + n^beta) + E,
/// whose curves bend toward their floor E within the target's reach (so
/// `slaw select`'s pool-level floor check fires), with a fixed small
/// multiplicative wobble; zero-shot rows (n = 0) included.
fn floor_pool() -> String {
    let mut s = String::from("model,n,loss\n");
    for i in 0..8u32 {
        let f = f64::from(i);
        let (b, dl, beta, e) = (
            30.0 + 10.0 * f,
            20.0 + 7.0 * f,
            0.45 + 0.03 * f64::from(i % 4),
            0.8 + 0.1 * f,
        );
        s += &format!("c{i},0,{:?}\n", b / (dl + 1.0) + e);
        for k in 0..14u32 {
            let n = 200.0 * 2f64.powi(k as i32);
            let wobble = 1.0 + 0.003 * (f64::from((i * 7 + k * 13) % 11) / 5.0 - 1.0);
            s += &format!("c{i},{n},{:?}\n", (b / (dl + n.powf(beta)) + e) * wobble);
        }
    }
    s
}

#[test]
fn the_runners_report_says_the_pool_level_floor_check_as_select_does() {
    let dir = TempDir::new().unwrap();
    let pool = write(&dir, "pool.csv", &floor_pool());
    // `slaw select` on the pool: the floor check's note.
    let (code, out, err) = run(
        dir.path(),
        &["select", &pool, "--target", "1638400", "--budget", "1/64"],
    );
    assert_eq!(code, 0, "{err}");
    let note = out
        .lines()
        .find(|l| l.starts_with("note: most of the pool's curves bend toward a floor within reach"))
        .unwrap_or_else(|| panic!("select gives no floor note: {out}"))
        .to_string();
    // The runner over the same pool (each run looks its loss up in it).
    let p = common::lookup_plan(&dir, "p.toml", &pool, 8);
    let (code, out, err) = run(dir.path(), &["run", &p]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&note), "slaw run: {out}");
    // `slaw report`: the same sentence, in its text and its JSON notes.
    let (code, out, err) = run(dir.path(), &["report", &p]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&note), "slaw report: {out}");
    let out = slaw()
        .current_dir(dir.path())
        .args(["report", &p, "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let notes: Vec<&str> = v["summary"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    assert!(
        notes.contains(&note.trim_start_matches("note: ")),
        "{notes:?}"
    );
}
