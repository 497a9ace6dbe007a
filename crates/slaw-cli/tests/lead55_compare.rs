//! Probe 55, finding 2: `slaw compare` on values that rise with x (an
//! accuracy given as the loss) no longer weighs laws whose fit explains the
//! points no better than a constant, warns that the values rise and exits 3.

use assert_cmd::Command;

fn write(dir: &std::path::Path, rows: &[(f64, f64)]) -> std::path::PathBuf {
    let mut s = String::from("x,loss\n");
    for (x, y) in rows {
        s += &format!("{x},{y}\n");
    }
    let p = dir.join("acc.csv");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn rising_values_are_warned_of_and_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    // y = 0.8 - 8 x^-0.4: rises from 0.295 to 0.758
    let rows: Vec<(f64, f64)> = (0..10)
        .map(|i| {
            let x = 1000.0 * 2f64.powi(i);
            (x, 0.8 - 8.0 * x.powf(-0.4))
        })
        .collect();
    let p = write(dir.path(), &rows);
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .args(["compare", p.to_str().unwrap(), "--x", "x", "--y", "loss"])
        .args(["--predict", "2048000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("warning: the values of 'loss' rise with 'x'"),
        "{text}"
    );
    // power cannot fit a rising curve: no better than a constant, not eligible
    let power = text.lines().find(|l| l.starts_with("power ")).unwrap();
    assert!(
        power.contains("not eligible: its fit explains the points no better than a constant"),
        "{power}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("the values rise with x"), "{err}");
}

#[test]
fn a_falling_curve_is_not_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(f64, f64)> = (0..10)
        .map(|i| {
            let x = 1000.0 * 2f64.powi(i);
            (x, 0.2 + 8.0 * x.powf(-0.4))
        })
        .collect();
    let p = write(dir.path(), &rows);
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .args(["compare", p.to_str().unwrap(), "--x", "x", "--y", "loss"])
        .args(["--predict", "2048000"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("rise with"), "{text}");
    assert!(!text.contains("no better than a constant"), "{text}");
}
