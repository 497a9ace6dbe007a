//! Probe 55, finding 2: `slaw compare` on values that rise with x (an
//! accuracy given as the loss) warns that the values rise and exits 3: the
//! laws describe a falling loss.

use assert_cmd::Command;

/// `slaw compare` on y(x) at 10 sizes doubling from 1000, predicting at
/// 2,048,000: the exit status and stdout, stderr.
fn compare(y: impl Fn(f64) -> f64) -> (Option<i32>, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from("x,loss\n");
    for i in 0..10 {
        let x = 1000.0 * 2f64.powi(i);
        s += &format!("{x},{}\n", y(x));
    }
    let p = dir.path().join("acc.csv");
    std::fs::write(&p, s).unwrap();
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .args(["compare", p.to_str().unwrap(), "--x", "x", "--y", "loss"])
        .args(["--predict", "2048000"])
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn rising_values_are_warned_of_and_exit_3() {
    // y = 0.8 - 8 x^-0.4: rises from 0.295 to 0.758
    let (code, text, err) = compare(|x| 0.8 - 8.0 * x.powf(-0.4));
    assert_eq!(code, Some(3));
    assert!(
        text.contains("warning: the values of 'loss' rise with 'x'"),
        "{text}"
    );
    assert!(err.contains("the values rise with x"), "{err}");
}

#[test]
fn a_falling_curve_is_not_flagged() {
    let (code, text, _) = compare(|x| 0.2 + 8.0 * x.powf(-0.4));
    assert_eq!(code, Some(0));
    assert!(!text.contains("rise with"), "{text}");
    assert!(!text.contains("no better than a constant"), "{text}");
}
