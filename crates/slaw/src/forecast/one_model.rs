//! Do the runs of a schedule fit come from one model? A schedule-aware law
//! reads the loss as a function of the learning-rate history alone, so two
//! runs of one model and data whose rates agree over their first steps have
//! the same loss there, up to the points' noise. Runs whose rates agree but
//! whose losses stand apart there are of different models (or data), and a
//! law fitted to both answers for neither.

use super::curve::Curve;

/// Least median gap, in ln L, over the steps where two runs' rates agree,
/// that marks them as of different models. Runs of one model and data on
/// the multi-power curves stand at most 0.4% apart there; runs of its 25M
/// and 100M models 7.7-9.4% (BENCHMARKS.md, "One model per schedule fit").
pub const GAP: f64 = 0.02;
/// The gap must also stand this many of its standard deviations above what
/// the two runs' noise alone gives (each run's white noise from its second
/// differences, s the two in quadrature: the median of |N(0, s)| over m
/// points is 0.6745 s, with a standard deviation of 0.787 s / sqrt(m)), so
/// that noisy runs of one model are not flagged.
pub const NOISE_SDS: f64 = 4.0;
/// The learning rate at a step, and the rate summed up to it, count as the
/// same for two runs within this relative difference.
pub const RATE_AGREES: f64 = 0.01;
/// Points needed where the rates agree before the gap is read.
pub const MIN_SHARED: usize = 5;

/// Two runs whose rates agree over their first steps but whose losses
/// there stand apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Apart {
    /// The runs' indices (first < second).
    pub runs: (usize, usize),
    /// Points of the first run where the rates agree.
    pub shared: usize,
    /// The last of those steps.
    pub until: f64,
    /// The median |ln L_a - ln L_b| there.
    pub gap: f64,
}

/// Every pair of `runs` that cannot be of one model (see the module).
pub fn apart(runs: &[Curve]) -> Vec<Apart> {
    let mut out = Vec::new();
    for b in 1..runs.len() {
        for a in 0..b {
            let found = shared_gap(&runs[a], &runs[b])
                .or_else(|| shared_gap(&runs[b], &runs[a]))
                .filter(|&(n, _, gap)| {
                    let s = noise_sd(&runs[a]).hypot(noise_sd(&runs[b]));
                    n >= MIN_SHARED
                        && gap > GAP
                        && gap > s * (0.6745 + NOISE_SDS * 0.787 / (n as f64).sqrt())
                });
            if let Some((shared, until, gap)) = found {
                out.push(Apart {
                    runs: (a, b),
                    shared,
                    until,
                    gap,
                });
            }
        }
    }
    out
}

/// The warnings of [`apart`], naming the runs.
pub fn warnings(runs: &[Curve]) -> Vec<String> {
    apart(runs)
        .into_iter()
        .map(|p| {
            format!(
                "runs '{}' and '{}' have the same learning rate up to step {} ({} logged points) \
                 but losses {:.1}% apart there (median): they are not one model and data, and one \
                 law fitted to both answers for neither; fit them separately",
                runs[p.runs.0].name,
                runs[p.runs.1].name,
                crate::numbers::num(p.until),
                p.shared,
                100.0 * p.gap.exp_m1()
            )
        })
        .collect()
}

/// Over `a`'s logged points inside `b`'s, from `a`'s first on and while
/// the two rates agree, those where the rates summed up to the point agree
/// too: (points, last step, median gap).
fn shared_gap(a: &Curve, b: &Curve) -> Option<(usize, f64, f64)> {
    let (pa, pb) = (a.lr_path()?, b.lr_path()?);
    let bs: Vec<(f64, f64)> = observed(b).collect();
    let (first, last) = (bs.first()?.0, bs.last()?.0);
    let agree = |x: f64, y: f64| (x - y).abs() <= RATE_AGREES * x.abs().max(y.abs());
    let mut gaps = Vec::new();
    let mut until = f64::NAN;
    for (s, la) in observed(a) {
        if s < first {
            continue;
        }
        if s > last || !agree(pa.at(s), pb.at(s)) {
            break;
        }
        // Summed rates that differ (another warmup, or one guessed from the
        // first logged point) give losses that may differ: not compared.
        if !agree(pa.area(s), pb.area(s)) {
            continue;
        }
        let j = bs.partition_point(|p| p.0 < s);
        let lb = if bs[j].0 == s {
            bs[j].1
        } else {
            let (s0, l0) = bs[j - 1];
            let (s1, l1) = bs[j];
            l0 + (l1 - l0) * (s - s0) / (s1 - s0)
        };
        gaps.push((la - lb).abs());
        until = s;
    }
    if gaps.is_empty() {
        return None;
    }
    let n = gaps.len();
    Some((n, until, crate::stats::median(gaps)))
}

/// (step, ln L) of the logged points with a finite, positive loss.
fn observed(c: &Curve) -> impl Iterator<Item = (f64, f64)> + '_ {
    c.step
        .iter()
        .zip(&c.loss)
        .filter(|(_, l)| l.is_finite() && **l > 0.0)
        .map(|(&s, &l)| (s, l.ln()))
}

/// A run's white noise in ln L from its second differences
/// ([`crate::stats::second_difference_noise`]). 0 with fewer than 3 points.
fn noise_sd(c: &Curve) -> f64 {
    let l: Vec<f64> = observed(c).map(|p| p.1).collect();
    if l.len() < 3 {
        return 0.0;
    }
    let d2: Vec<f64> = crate::stats::second_differences(&l).collect();
    crate::stats::second_difference_noise(&d2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(name: &str, steps: &[f64], lr: impl Fn(f64) -> f64, loss: impl Fn(f64) -> f64) -> Curve {
        Curve {
            name: name.into(),
            step: steps.to_vec(),
            lr: Some(steps.iter().map(|&s| lr(s)).collect()),
            loss: steps.iter().map(|&s| loss(s)).collect(),
            schedule: None,
            untrained: Vec::new(),
            lead: Vec::new(),
        }
    }

    fn steps(from: f64, every: f64, n: usize) -> Vec<f64> {
        (0..n).map(|i| from + every * i as f64).collect()
    }

    #[test]
    fn runs_of_one_model_sharing_their_start_are_not_flagged() {
        let law = |s: f64| 2.5 + 8.0 * s.powf(-0.3);
        let a = run("constant", &steps(100.0, 100.0, 40), |_| 1e-3, law);
        // decays after step 2000: the same loss before, lower after
        let b = run(
            "wsd",
            &steps(100.0, 100.0, 40),
            |s| if s <= 2000.0 { 1e-3 } else { 1e-4 },
            |s| law(s) - if s > 2000.0 { 0.1 } else { 0.0 },
        );
        assert!(apart(&[a, b]).is_empty());
    }

    #[test]
    fn runs_of_two_models_sharing_their_start_are_flagged_with_offset_steps() {
        let small = |s: f64| 2.8 + 8.0 * s.powf(-0.3);
        let big = |s: f64| 2.5 + 8.0 * s.powf(-0.3);
        let a = run("a", &steps(100.0, 100.0, 40), |_| 1e-3, small);
        // logged 16 steps later: compared by interpolation
        let b = run("b", &steps(116.0, 100.0, 40), |_| 1e-3, big);
        let c = run("c", &steps(100.0, 100.0, 40), |_| 1e-3, small);
        let found = apart(&[a, b, c]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].runs, (0, 1));
        assert_eq!(found[1].runs, (1, 2));
        assert!(found[0].shared >= 30, "{found:?}");
        let w = warnings(&[
            run("a", &steps(100.0, 100.0, 40), |_| 1e-3, small),
            run("b", &steps(116.0, 100.0, 40), |_| 1e-3, big),
        ]);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("runs 'a' and 'b'"), "{}", w[0]);
    }

    #[test]
    fn runs_whose_rates_differ_from_the_start_are_not_compared() {
        let a = run(
            "a",
            &steps(100.0, 100.0, 40),
            |_| 1e-3,
            |s| 2.8 + s.powf(-0.3),
        );
        let b = run(
            "b",
            &steps(100.0, 100.0, 40),
            |_| 3e-3,
            |s| 2.0 + s.powf(-0.3),
        );
        assert!(apart(&[a, b]).is_empty());
    }
}
