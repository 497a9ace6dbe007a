//! fc48 (issue 14, probe47 finding 5): `slaw forecast`'s text and `--help`
//! say what auto's intervals covered as measured, and that on curves that
//! follow one law closely they are conservative. (The two rules measured
//! for auto's choice were not adopted: BENCHMARKS.md, "Loss-curve
//! forecasting", fc48.)

mod common;

use common::{slaw, write};
use tempfile::TempDir;

/// `step,loss[,lr]` rows of L = 8 t^-0.3 + 2 at steps 100, ..., 20000 times
/// a deterministic +-0.5% wiggle; with `lr`, a cosine from 3e-4 to 0.
fn curve(lr: bool) -> String {
    let mut s = String::from(if lr { "step,loss,lr\n" } else { "step,loss\n" });
    for k in 1..=200u64 {
        let t = 100 * k;
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        let l = (8.0 * (t as f64).powf(-0.3) + 2.0) * (1.0 + 0.01 * u);
        s += &format!("{t},{l}");
        if lr {
            let p = (k - 1) as f64 / 199.0;
            s += &format!(",{}", 1.5e-4 * (1.0 + (std::f64::consts::PI * p).cos()));
        }
        s += "\n";
    }
    s
}

fn text(args: &[&str]) -> String {
    let out = slaw().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_help_says_what_autos_intervals_covered() {
    let help = text(&["forecast", "--help"]);
    assert!(
        help.contains("84% and 97% of the final losses")
            && help.contains("18 of 18 multi-power curves")
            && help.contains("134 of 144"),
        "{help}"
    );
}

/// Without a learning rate: the (Mis)Fitting runs' figures and the
/// synthetic ones; with one the window does not pin: the multi-power
/// curves' and the synthetic ones with such a rate. A named law, or no
/// intervals: no such line (the figures are auto's).
#[test]
fn the_text_says_what_autos_intervals_covered() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "pl.csv", &curve(false));
    let auto = text(&["forecast", &f, "--fit-until", "0.3"]);
    let line = auto
        .lines()
        .find(|l| l.starts_with("coverage as measured:"))
        .unwrap_or_else(|| panic!("{auto}"));
    assert!(
        line.contains("84% and 97%")
            && line.contains("(Mis)Fitting")
            && line.contains("synthetic curves of four laws")
            && line.contains("134 of 144"),
        "{line}"
    );
    let g = write(&dir, "lr.csv", &curve(true));
    let lr = text(&["forecast", &g, "--fit-until", "0.2"]);
    assert!(lr.contains("schedule-aware laws not identified"), "{lr}");
    assert!(
        lr.lines().any(|l| l.starts_with("coverage as measured:")
            && l.contains("18 of 18")
            && l.contains("257 of 288")),
        "{lr}"
    );
    for args in [
        vec![
            "forecast",
            f.as_str(),
            "--fit-until",
            "0.3",
            "--method",
            "power",
        ],
        vec![
            "forecast",
            f.as_str(),
            "--fit-until",
            "0.3",
            "--bootstrap",
            "0",
        ],
    ] {
        let t = text(&args);
        assert!(!t.contains("coverage as measured"), "{args:?}: {t}");
    }
}
