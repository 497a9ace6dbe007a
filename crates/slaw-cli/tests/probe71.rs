//! Probe 71's findings (every interval slaw prints, read as a new user reads
//! "90%"): the interpolation interval without a bootstrap reaches its level
//! (it said how much less it covered; iv72 added the fit's own uncertainty),
//! the fit figure names that interval, and
//! `slaw joint` says what its +/- are. Every input is built here or read from
//! the repository's examples/.

mod common;

use common::{json_of, run, slaw, Normal};

/// The repository's examples/ folder.
fn examples() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// The standard normal distribution function (Abramowitz and Stegun 7.1.26,
/// |error| < 1.5e-7).
fn phi(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// The probability that a new observed loss at each asked x falls inside
/// `slaw fit`'s interpolation interval, averaged over `seeds` curves of
/// L = 2 + 50 n^-0.3 at 12 log-spaced n in 1e2..1e5 with log-normal noise of
/// sd 1% (a new observation: the law's value times exp(N(0, 0.01^2))): the
/// ends of the fitted range, then three points inside it.
fn interpolation_coverage(level: &str, bootstrap: bool, seeds: u64) -> (f64, f64, String) {
    let dir = tempfile::TempDir::new().unwrap();
    let law = |n: f64| 2.0 + 50.0 * n.powf(-0.3);
    let sd = 0.01;
    let xs: Vec<f64> = (0..12)
        .map(|i| 10f64.powf(2.0 + 3.0 * i as f64 / 11.0))
        .collect();
    let asked = ["100", "100000", "417", "3240", "25100"];
    let (mut ends, mut inside) = (Vec::new(), Vec::new());
    let mut legend = String::new();
    for seed in 0..seeds {
        let mut rng = Normal(7100 + seed);
        let mut csv = String::from("n,loss\n");
        for &x in &xs {
            csv.push_str(&format!("{x},{:.6}\n", law(x) * (sd * rng.normal()).exp()));
        }
        let file = dir.path().join(format!("c{seed}.csv"));
        std::fs::write(&file, csv).unwrap();
        let mut args = vec![
            "fit",
            file.to_str().unwrap(),
            "--x",
            "n",
            "--law",
            "power",
            "--level",
            level,
        ];
        for a in asked {
            args.extend(["--predict", a]);
        }
        let seed_s = seed.to_string();
        if bootstrap {
            args.extend(["--bootstrap", "100", "--seed", &seed_s]);
        }
        let out = slaw().args(&args).arg("--json").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        for (k, p) in v["groups"][0]["predictions"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            assert_eq!(
                p["extrapolation_interval_kind"]["kind"], "interpolation",
                "{p}"
            );
            assert_eq!(
                p["extrapolation_interval_kind"]["bootstrap"], bootstrap,
                "{p}"
            );
            let (lo, hi) = (
                p["extrapolation_interval"]["lo"].as_f64().unwrap(),
                p["extrapolation_interval"]["hi"].as_f64().unwrap(),
            );
            let m = law(p["at"][0].as_f64().unwrap()).ln();
            let prob = phi((hi.ln() - m) / sd) - phi((lo.ln() - m) / sd);
            if k < 2 {
                ends.push(prob)
            } else {
                inside.push(prob)
            }
        }
        if seed == 0 {
            let (_, text, _) = run(dir.path(), &args);
            legend = text
                .lines()
                .find(|l| l.contains("(interpolation intervals:"))
                .unwrap_or_else(|| panic!("no interpolation legend in {text}"))
                .to_string();
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    (mean(&ends), mean(&inside), legend)
}

/// The interpolation interval without a bootstrap was the fit's noise floor
/// alone: it left out the fit's own uncertainty and covered less than its
/// level, least at the ends of the fitted range (80% held 72-76% of new
/// observed losses, 65-72% at the ends). It now holds the fit's linearised
/// standard error times Student's t in quadrature with the floor. Here, on
/// 40 curves of a known law (80% and 95%): at least the level less 0.03 in
/// all and at the ends (the old floor alone gave 74.7% and 70% at 80%), no
/// wider than twice the exact interval's (2 z sd) at the median, and the
/// legend says what it holds; with a bootstrap it reaches its level too.
#[test]
fn interpolation_interval_without_a_bootstrap_reaches_its_level() {
    for (level, want) in [("0.8", 0.8), ("0.95", 0.95)] {
        let (ends, inside, legend) = interpolation_coverage(level, false, 40);
        let all = (2.0 * ends + 3.0 * inside) / 5.0;
        eprintln!("no bootstrap at {level}: all {all:.3} ends {ends:.3} inside {inside:.3}");
        assert!(
            all >= want - 0.03 && ends >= want - 0.03,
            "{level} without a bootstrap: {all:.3} of new losses (ends {ends:.3}, inside {inside:.3})"
        );
        assert!(
            all <= want + (1.0 - want) * 0.8,
            "{level} without a bootstrap: {all:.3} (far above its level)"
        );
        assert!(
            legend.contains("linearised standard error")
                && legend.contains("Student's t")
                && legend.contains("79-86%")
                && !legend.contains("covers less"),
            "{legend}"
        );
    }
    let (ends_b, inside_b, legend_b) = interpolation_coverage("0.8", true, 40);
    let all_b = (2.0 * ends_b + 3.0 * inside_b) / 5.0;
    eprintln!("bootstrap: all {all_b:.3} ends {ends_b:.3} inside {inside_b:.3}");
    assert!(
        all_b >= 0.77 && ends_b >= 0.75,
        "80% with a bootstrap: {all_b:.3} (ends {ends_b:.3})"
    );
    assert!(legend_b.contains("bootstrap band"), "{legend_b}");
}

/// `slaw fit --plot` with one group: a prediction inside the fitted range
/// carries a bar of its interpolation interval, named in the legend as such
/// (it was unlabelled, or read as the extrapolation band's beside one).
#[test]
fn fit_figure_names_the_interpolation_bar() {
    let dir = tempfile::TempDir::new().unwrap();
    let law = |n: f64| 2.0 + 50.0 * n.powf(-0.3);
    let mut csv = String::from("n,loss\n");
    let mut rng = Normal(71);
    for i in 0..12 {
        let x = 10f64.powf(2.0 + 3.0 * i as f64 / 11.0);
        csv.push_str(&format!(
            "{x},{:.6}\n",
            law(x) * (0.01 * rng.normal()).exp()
        ));
    }
    let file = common::write(&dir, "c.csv", &csv);
    for (predict, want, not) in [
        (
            vec!["3000", "1e6"],
            vec!["80% interpolation interval", "80% extrapolation interval"],
            None,
        ),
        (
            vec!["3000"],
            vec!["80% interpolation interval"],
            Some("extrapolation interval"),
        ),
    ] {
        let svg = dir.path().join("f.svg");
        let mut args = vec![
            "fit",
            file.as_str(),
            "--law",
            "power",
            "--level",
            "0.8",
            "--plot",
            svg.to_str().unwrap(),
        ];
        for p in &predict {
            args.extend(["--predict", p]);
        }
        let (code, _, err) = run(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&svg).unwrap();
        for w in want {
            assert!(text.contains(w), "{predict:?}: no {w:?} in the figure");
        }
        if let Some(n) = not {
            assert!(!text.contains(n), "{predict:?}: {n:?} in the figure");
        }
    }
}

/// `slaw joint`'s text says what its +/- are (standard errors) and what E's
/// profile interval covers beside them; the JSON is unchanged (no legend).
#[test]
fn joint_text_says_what_its_plus_minus_are() {
    let runs = examples().join("runs.csv");
    let args = [
        "joint",
        runs.to_str().unwrap(),
        "--factor",
        "model_size",
        "--factor",
        "pretrain_tokens",
        "--factor",
        "prompt_len",
        "--pet",
        "prompt_len",
    ];
    let dir = tempfile::TempDir::new().unwrap();
    let (code, text, err) = run(dir.path(), &args);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains(" +/- "), "{text}");
    let legend: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("(+/-: standard errors"))
        .collect();
    assert_eq!(legend.len(), 1, "{text}");
    assert!(
        legend[0].contains("profile") && legend[0].contains("93-98%"),
        "{}",
        legend[0]
    );
    let (_, json, _) = run(dir.path(), &[&args[..], &["--json"]].concat());
    assert!(!json.contains("(+/-: standard errors"), "{json}");
}

/// `slaw select`'s still-accelerating note said "(a predictive interval is
/// open below for it)" under every method; a law-fit method's interval is a
/// bootstrap of the points, not opened below (`open_below` null). The note
/// now says it only of the candidates whose interval is open below.
#[test]
fn the_accelerating_note_says_open_below_only_where_the_interval_is() {
    let curves = examples().join("curves.csv");
    let dir = tempfile::TempDir::new().unwrap();
    for method in ["ats-gap", "rectified-fit"] {
        let out = slaw()
            .args([
                "select",
                curves.to_str().unwrap(),
                "--target",
                "51200",
                "--budget",
                "1/16",
                "--method",
                method,
                "--json",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        let open: Vec<&str> = v["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["open_below"].is_null())
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let notes: Vec<&str> = v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .filter(|n| n.contains("is still accelerating at the largest affordable size"))
            .collect();
        assert!(!notes.is_empty(), "{method}: no accelerating note");
        for n in notes {
            let id = n.split('\'').nth(1).unwrap();
            assert_eq!(
                n.contains("open below for it"),
                open.contains(&id),
                "{method}: {n} (open below: {open:?})"
            );
        }
        if method == "rectified-fit" {
            assert!(open.is_empty(), "{open:?}");
        } else {
            assert!(!open.is_empty());
        }
    }
}
