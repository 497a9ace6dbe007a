//! The forecast intervals' priors (`slaw::forecast::prior`): the shipped
//! tables re-derived from the public curves, the out-of-sample coverage
//! they give (each curve's prior learned without its family / its
//! schedule's kind), and their coverage on synthetic curves of known truth.

mod common;

use slaw::forecast::job::{self, Choice, Data, Request};
use slaw::forecast::prior::{self, Priors, Window};
use slaw::forecast::{fit_curves, protocol, Curve, CurveLaw};
use std::path::PathBuf;
use std::sync::OnceLock;

type Scores = Vec<[prior::Score; 6]>;

/// Every public window and its scores, computed once for the tests of this
/// file (None without ../shared).
fn scored() -> Option<&'static (PathBuf, Vec<Window>, Scores)> {
    static S: OnceLock<Option<(PathBuf, Vec<Window>, Scores)>> = OnceLock::new();
    S.get_or_init(|| {
        let dir = common::shared_data("loss-curves")?;
        let w = prior::windows(&dir).unwrap();
        let s = prior::scores(&w);
        Some((dir, w, s))
    })
    .as_ref()
}

#[test]
fn shipped_priors_are_rederived_from_the_public_curves() {
    let Some((_, w, s)) = scored() else {
        return;
    };
    let learned = prior::learn(w, s, &|_| true);
    let shipped = Priors::shipped();
    for law in CurveLaw::ALL {
        for (what, a, b) in [
            ("error", learned.error(law), shipped.error(law)),
            ("decay", learned.decay(law), shipped.decay(law)),
        ] {
            match (a, b) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    for (x, y) in a.iter().zip(b) {
                        assert!(
                            (x - y).abs() <= 1e-6 * (1.0 + x.abs()),
                            "{} {what} prior: learned {a:?}, shipped {b:?}",
                            law.name()
                        );
                    }
                }
                _ => panic!("{} {what} prior: learned {a:?}, shipped {b:?}", law.name()),
            }
        }
    }
}

/// The priors a curve's intervals use in the out-of-sample protocol: the
/// error prior learned without its family, the decay prior without its
/// schedule's kind.
fn lofo(w: &[Window], s: &Scores, family: &str, kind: &str) -> Priors {
    let e = prior::learn(w, s, &|x| x.family != family);
    let d = prior::learn(w, s, &|x| {
        x.family == "multipower" && prior::schedule_kind(&x.group) != kind
    });
    Priors {
        error: e.error,
        decay: d.decay,
        signed: e.signed,
        shortfall: e.shortfall,
    }
}

/// Coverage of the 90% interval of the final loss, `law` (`auto` or a
/// law's name) fitted until `frac` of each curve's steps, priors learned
/// out of sample: (covered, forecasts).
fn coverage(
    curves: &[(Curve, f64, bool)],
    law: &str,
    frac: f64,
    w: &[Window],
    s: &Scores,
) -> (usize, usize) {
    let (mut cov, mut n) = (0, 0);
    for (c, total, mp) in curves {
        let k = c.step.iter().filter(|&&t| t <= frac * total).count();
        if k < 4 || k >= c.len() {
            continue;
        }
        let priors = if *mp {
            lofo(w, s, "multipower", prior::schedule_kind(&c.name))
        } else {
            lofo(w, s, "misfitting", "")
        };
        let req = Request {
            choice: Choice::parse(law, false).unwrap(),
            fit_until: (frac * total).into(),
            at: vec![],
            schedule: None,
            bootstrap: 200,
            seed: 0,
            level: 0.9,
            priors,
        };
        let Ok(o) = job::run(&Data::Aggregate(c.clone()), &req) else {
            continue;
        };
        let p = &o.forecasts[0];
        let obs = p.observed.unwrap();
        n += 1;
        cov += (p.lo.unwrap() <= obs && obs <= p.hi.unwrap()) as usize;
    }
    (cov, n)
}

fn multipower_curves(dir: &std::path::Path) -> Vec<(Curve, f64, bool)> {
    let mut out = Vec::new();
    for size in ["25", "100"] {
        let folder = dir.join("multipower").join(size);
        let mut files: Vec<_> = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort();
        for f in files {
            let c = Curve::read(&f, "step", "loss", Some("lr")).unwrap();
            let last = *c.step.last().unwrap();
            out.push((c, last, true));
        }
    }
    out
}

/// The out-of-sample coverage BENCHMARKS.md reports for the default method
/// (`auto`) and two schedule-aware laws, asserted within the bands reached.
#[test]
fn out_of_sample_coverage_of_the_default_forecast() {
    let Some((dir, w, s)) = scored() else {
        return;
    };
    let runs: Vec<(Curve, f64, bool)> =
        protocol::misfitting_runs(&dir.join("misfitting/scaling_results.csv"))
            .unwrap()
            .into_iter()
            .map(|(c, t)| (c, t, false))
            .collect();
    let mp = multipower_curves(dir);
    // Measured: 64/73, 122/124 (over the 97% aimed at), 18/18, 18/18; the
    // schedule-aware laws, whose intervals span the step-only law's where
    // the window does not pin their annealing terms: tissue 18/18, 18/18
    // (were 15/18, 15/18), multipower 15/15 at 20% (was 12/15). Since
    // mpf72 (BENCHMARKS.md) their forecast and interval there are the
    // step-only reciprocal law's alone; the cells did not move.
    for (curves, frac, law, lo, hi) in [
        (&runs, 0.25, "auto", 0.80, 0.97),
        (&runs, 0.5, "auto", 0.80, 0.99),
        (&mp, 0.2, "auto", 0.80, 1.0),
        (&mp, 0.5, "auto", 0.80, 1.0),
        (&mp, 0.2, "tissue", 0.80, 1.0),
        (&mp, 0.5, "tissue", 0.80, 1.0),
        (&mp, 0.2, "multipower", 0.80, 1.0),
    ] {
        let (c, n) = coverage(curves, law, frac, w, s);
        let share = c as f64 / n as f64;
        eprintln!("{law} at {frac}: {c}/{n} ({:.1}%)", 100.0 * share);
        assert!(
            (lo..=hi).contains(&share),
            "{law} at {frac}: {c}/{n} outside [{lo}, {hi}]"
        );
    }
}

/// Curves of a known power law (noise 0.5%) fitted on their first 5
/// points — too few for a conformal rank of the window's own scores, so the
/// shipped error prior is pooled in — cover their final loss at least at
/// the nominal level (measured: 60/60, conservative: the prior holds the
/// errors of laws that do not fit real curves exactly; without the prior,
/// the refit spread only: 26/60).
#[test]
fn the_error_prior_covers_short_windows_of_known_truth() {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let n = 60;
    let (mut with, mut without, mut pooled) = (0, 0, 0);
    for _ in 0..n {
        let c = common::noisy_power_curve(&mut rng, 20, 500.0);
        let f = fit_curves(CurveLaw::Power, std::slice::from_ref(&c), &[5]).unwrap();
        let obs = c.loss[19];
        let inside =
            |iv: &slaw::forecast::Intervals| (iv.iv[0].lo <= obs && obs <= iv.iv[0].hi) as usize;
        let iv = f.intervals(&[(0, 19)], 100, 0, 0.9);
        pooled += iv
            .calibration
            .as_ref()
            .is_some_and(|c| c.method.starts_with("prior")) as usize;
        with += inside(&iv);
        without += inside(&f.intervals_with(&[(0, 19)], 100, 0, 0.9, &Priors::none()));
    }
    eprintln!("with the prior {with}/{n}, without {without}/{n}, pooled {pooled}");
    assert_eq!(pooled, n);
    assert!(with as f64 >= 0.8 * n as f64, "{with}/{n}");
    assert!(with > without, "{with} vs {without}");
}
