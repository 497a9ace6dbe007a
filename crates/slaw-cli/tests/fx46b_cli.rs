//! fx46b: input readers that explain themselves (a probe's semicolon file
//! with decimal commas, '#' comment lines, a Latin-1 file, exact duplicate
//! rows, a wide selection file with `n=200` headers) and small CLI honesty
//! items (`--fit-until step:N`, the forecast's "no more run" note).

mod common;

use common::{json_of, slaw, write};
use tempfile::TempDir;

/// L = 50 x^-0.3 + 1.5 at x = 1000 ... 2.048e6, with a deterministic
/// +-0.5% wiggle; `dec` writes the decimal mark, `sep` the separator.
fn power_rows(sep: char, dec: char) -> String {
    let mut s = format!("x{sep}loss\n");
    for k in 0..12 {
        let x = 1000.0 * 2f64.powi(k);
        let l = (50.0 * x.powf(-0.3) + 1.5) * (1.0 + 0.005 * ((k * 7 % 5) as f64 - 2.0) / 2.0);
        s += &format!(
            "{x}{sep}{}\n",
            format!("{l}").replace('.', &dec.to_string())
        );
    }
    s
}

fn fit_json(file: &str) -> serde_json::Value {
    let out = slaw()
        .args([
            "fit", file, "--law", "power", "--x", "x", "--y", "loss", "--json",
        ])
        .output()
        .unwrap();
    json_of(&out)
}

/// Item 1a: a semicolon-separated file with decimal commas fits as the
/// same file with commas and points (it failed with "row 2: has 2 cells
/// but the header has 1 columns").
#[test]
fn a_semicolon_file_with_decimal_commas_reads_as_its_comma_twin() {
    let dir = TempDir::new().unwrap();
    let plain = write(&dir, "plain.csv", &power_rows(',', '.'));
    let semi = write(&dir, "semi.csv", &power_rows(';', ','));
    let a = fit_json(&plain);
    let b = fit_json(&semi);
    assert_eq!(
        a["groups"][0]["fit"]["params"],
        b["groups"][0]["fit"]["params"]
    );
    assert!(
        a["groups"][0]["fit"]["params"]["alpha"].as_f64().is_some(),
        "{a}"
    );
    // A comma that may be a thousands separator is not guessed.
    let amb = write(&dir, "amb.csv", "x;loss\n1,600;2\n3,200;1\n");
    slaw()
        .args(["fit", &amb, "--law", "power", "--x", "x", "--y", "loss"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "amb.csv, row 2, column 'x': '1,600'",
        ))
        .stderr(predicates::str::contains("thousands separator"));
}

/// Item 1b: '#' lines before the header are skipped silently; the rows
/// keep their file line numbers in messages.
#[test]
fn comment_lines_before_the_header_are_skipped() {
    let dir = TempDir::new().unwrap();
    let plain = write(&dir, "plain.csv", &power_rows(',', '.'));
    let text = format!("# my data\n# L = 50 x^-0.3 + 1.5\n{}", power_rows(',', '.'));
    let commented = write(&dir, "commented.csv", &text);
    let out = slaw()
        .args([
            "fit", &commented, "--law", "power", "--x", "x", "--y", "loss", "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = json_of(&out);
    assert_eq!(
        fit_json(&plain)["groups"][0]["fit"]["params"],
        b["groups"][0]["fit"]["params"]
    );
    let bad = write(&dir, "bad.csv", &text.replacen("\n4000,", "\n4000,x", 1));
    slaw()
        .args(["fit", &bad, "--law", "power", "--x", "x", "--y", "loss"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.csv, row 6, column 'loss'"));
}

/// Item 1c: a Latin-1 file is said to be text in another encoding, with
/// its line and how to re-encode it.
#[test]
fn a_latin1_file_is_named_as_text_to_reencode() {
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("latin1.csv");
    std::fs::write(&p, b"model,n,loss\nm\xfcller,200,2.5\nm\xfcller,400,2.4\n").unwrap();
    let out = slaw()
        .args([
            "select",
            &p.display().to_string(),
            "--target",
            "1600",
            "--budget",
            "1/4",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("latin1.csv, row 2: the text is not UTF-8: byte 0xFC")
            && err.contains("Latin-1")
            && err.contains("iconv -f latin1 -t utf-8")
            && !err.contains("not a text file"),
        "{err}"
    );
}

/// Item 1d: exact duplicate rows are fitted twice: a warning names the
/// rows (text and JSON), a file without them has none.
#[test]
fn duplicate_rows_are_named_in_a_warning() {
    let dir = TempDir::new().unwrap();
    let rows = power_rows(',', '.');
    let lines: Vec<&str> = rows.lines().collect();
    let mut dup = lines.clone();
    dup.insert(4, lines[3]);
    let file = write(&dir, "dup.csv", &(dup.join("\n") + "\n"));
    let v = fit_json(&file);
    let warnings = v["groups"][0]["fit"]["warnings"].to_string();
    assert!(
        warnings.contains("dup.csv, rows 4 and 5: the same point twice (x = 4000"),
        "{warnings}"
    );
    let out = slaw()
        .args(["fit", &file, "--law", "power", "--x", "x", "--y", "loss"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("rows 4 and 5: the same point twice"),
        "{text}"
    );
    let plain = write(&dir, "plain.csv", &rows);
    let w = fit_json(&plain)["groups"][0]["fit"]["warnings"].to_string();
    assert!(!w.contains("the same point"), "{w}");
}

/// Item 1e: a wide selection file whose size headers are `n=200` gets a
/// hint at the wide format and the long format's columns.
#[test]
fn a_wide_file_with_named_sizes_gets_a_format_hint() {
    let dir = TempDir::new().unwrap();
    let file = write(
        &dir,
        "wide_neq.csv",
        "config name,n=0,n=200,n=400,n=800\na,3.0,2.8,2.6,2.5\nb,3.1,2.9,2.7,2.55\n",
    );
    slaw()
        .args(["select", &file, "--target", "800", "--budget", "1/2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "wide_neq.csv, column 'model': no such column",
        ))
        .stderr(predicates::str::contains("look like the wide format"))
        .stderr(predicates::str::contains("plain numbers ('0', '200', ..."))
        .stderr(predicates::str::contains("with columns model, n, loss"));
}

/// A curve logged at fractional steps 0.1, 0.2, ..., 5 (epochs).
fn epochs() -> String {
    let mut s = String::from("step,loss\n");
    for k in 1..=50 {
        let t = k as f64 / 10.0;
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        s += &format!("{t},{}\n", (2.0 + 1.5 * t.powf(-0.4)) * (1.0 + 0.004 * u));
    }
    s
}

/// Item 2: `--fit-until step:1` fits up to step 1, where a plain 1 is the
/// whole curve (a fraction); a plain number keeps its meaning.
#[test]
fn fit_until_step_names_a_step_below_1() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "epochs.csv", &epochs());
    let until = |arg: &str| {
        let out = slaw()
            .args([
                "forecast",
                &f,
                "--method",
                "power",
                "--bootstrap",
                "0",
                "--fit-until",
                arg,
                "--json",
            ])
            .output()
            .unwrap();
        json_of(&out)["fit_until_step"].as_f64()
    };
    assert_eq!(until("step:1"), Some(1.0));
    assert_eq!(until("0.2"), Some(1.0));
    assert_eq!(until("step:2.5"), Some(2.5));
    assert_eq!(until("2.5"), Some(2.5));
    slaw()
        .args(["forecast", &f, "--fit-until", "step:0", "--bootstrap", "0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--fit-until"))
        .stderr(predicates::str::contains("must be > 0"));
    slaw()
        .args(["forecast", &f, "--fit-until", "step:x"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("step:N"));
    slaw()
        .args(["forecast", "--help"])
        .assert()
        .success()
        .stdout(predicates::str::contains("step:N"));
}

/// Item 3: the "(no more run ...)" note and JSON `bootstrap.asked` appear
/// only when fewer refits ran than asked: with `--bootstrap 50` none is
/// saved and none is said (main printed "no more run" there).
#[test]
fn the_no_more_run_note_only_when_refits_were_saved() {
    let dir = TempDir::new().unwrap();
    let mut s = String::from("step,loss\n");
    for k in 1..=300u64 {
        let t = 10.0 * k as f64;
        // white noise (an integer hash): the forecast's interval takes the
        // residuals' white noise from their first differences, which a
        // sawtooth ((7919 k) mod 1000) nearly lacks — the band near the
        // window then needs every refit
        let mut x = (k * 2_654_435_761 + 12_345) % (1 << 32);
        x ^= x >> 16;
        x = (x * 0x045d_9f3b) % (1 << 32);
        x ^= x >> 16;
        let u = x as f64 / 4_294_967_296.0 - 0.5;
        s += &format!("{t},{}\n", (2.0 + 8.0 * t.powf(-0.3)) * (1.0 + 0.01 * u));
    }
    let f = write(&dir, "pc.csv", &s);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "forecast",
            f.as_str(),
            "--fit-until",
            "0.5",
            "--method",
            "power",
        ];
        args.extend_from_slice(extra);
        slaw().args(&args).output().unwrap()
    };
    let v = json_of(&run(&["--json"]));
    assert_eq!(v["bootstrap"]["replicates"], 50, "{}", v["bootstrap"]);
    assert_eq!(v["bootstrap"]["asked"], 200, "{}", v["bootstrap"]);
    let text = String::from_utf8(run(&[]).stdout).unwrap();
    assert!(
        text.contains("refit spread of 50 of 50 bootstrap refits (no more run of the 200 asked:"),
        "{text}"
    );
    let v = json_of(&run(&["--json", "--bootstrap", "50"]));
    assert_eq!(v["bootstrap"]["replicates"], 50, "{}", v["bootstrap"]);
    assert!(v["bootstrap"].get("asked").is_none(), "{}", v["bootstrap"]);
    let text = String::from_utf8(run(&["--bootstrap", "50"]).stdout).unwrap();
    assert!(
        text.contains("refit spread of 50 of 50 bootstrap refits"),
        "{text}"
    );
    assert!(!text.contains("no more run"), "{text}");
}
