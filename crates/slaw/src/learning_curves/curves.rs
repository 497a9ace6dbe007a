//! The curves of the benchmark: the public learning curves and synthetic
//! ones drawn from several laws, each group a family.

use super::*;

/// One learning curve: loss against x, in a family.
#[derive(Debug, Clone)]
pub struct LearningCurve {
    /// The family the curve belongs to (a data source or a synthetic law): the unit left out when choosing the pick's rule.
    pub family: String,
    /// The curve's name, unique within its family.
    pub name: String,
    /// x (step or data size), ascending.
    pub x: Vec<f64>,
    /// Loss at each x.
    pub y: Vec<f64>,
}

impl LearningCurve {
    fn from_curve(family: &str, c: &Curve) -> LearningCurve {
        LearningCurve {
            family: family.into(),
            name: c.name.clone(),
            x: c.step.clone(),
            y: c.loss.clone(),
        }
    }

    /// The curve as observations with one input, `x`.
    pub fn observations(&self) -> Observations {
        Observations::from_columns(&["x"], std::slice::from_ref(&self.x), self.y.clone())
    }
}

/// The public curves under `dir` (the loss-curves folder): misfitting/ and
/// multipower/, in a stable order.
pub fn public_curves(dir: &Path) -> Result<Vec<LearningCurve>> {
    let mut out: Vec<LearningCurve> = misfitting_runs(&dir.join("misfitting/scaling_results.csv"))?
        .iter()
        .map(|(c, _)| LearningCurve::from_curve("misfitting", c))
        .collect();
    for (size, _, c) in crate::forecast::protocol::multipower_curves(dir)? {
        let mut lc = LearningCurve::from_curve("multipower", &c);
        lc.name = format!("{size}M {}", lc.name);
        out.push(lc);
    }
    Ok(out)
}

/// The evenly spaced synthetic family (a family of `slaw bench curves`; the
/// forecast priors are learned without it, `forecast::prior`).
pub const SYNTH_EVEN: &str = "synth-even";

/// The synthetic families: `per_family` curves from each of power,
/// two-power (A/x^a + B/x^b + E, no catalog law has that form), M4 and
/// BNSL (one break inside the range), with 16 to 40 log-spaced points over 2
/// to 4 decades and log-normal noise of 0.3% to 2%; and `synth-even`: one of
/// those four laws (drawn per curve) at 12 to 40 evenly spaced points
/// (checkpoints every k steps, as training logs are: x from k to n k), with
/// the same noise.
pub fn synthetic_curves(per_family: usize, seed: u64) -> Vec<LearningCurve> {
    let mut out = Vec::new();
    const LAWS: [&str; 4] = ["synth-power", "synth-2power", "synth-m4", "synth-bnsl"];
    let families = [LAWS[0], LAWS[1], LAWS[2], LAWS[3], SYNTH_EVEN];
    for (fi, fam) in families.iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(1000 * fi as u64));
        let mut k = 0;
        while k < per_family {
            let (kind, x, x0, decades) = if *fam == SYNTH_EVEN {
                let kind = LAWS[rng.random_range(0..LAWS.len())];
                let n = rng.random_range(12..=40usize);
                let dx: f64 = 10f64.powf(rng.random_range(1.0..3.0));
                let x: Vec<f64> = (1..=n).map(|i| dx * i as f64).collect();
                (kind, x, dx, (n as f64).log10())
            } else {
                let n = rng.random_range(16..=40usize);
                let decades = rng.random_range(2.0..4.0);
                let x0: f64 = 10f64.powf(rng.random_range(1.0..3.0));
                let x: Vec<f64> = (0..n)
                    .map(|i| x0 * 10f64.powf(decades * i as f64 / (n - 1) as f64))
                    .collect();
                (*fam, x, x0, decades)
            };
            let truth = synthetic_truth(kind, &mut rng, x0, decades);
            let sd = rng.random_range(0.003..0.02);
            let y: Vec<f64> = x
                .iter()
                .map(|&v| truth(v) * (sd * crate::synthetic::standard_normal(&mut rng)).exp())
                .collect();
            if y.iter().all(|v| v.is_finite() && *v > 0.0) {
                out.push(LearningCurve {
                    family: fam.to_string(),
                    name: format!("{fam} #{k}"),
                    x,
                    y,
                });
                k += 1;
            }
        }
    }
    out
}

/// A random truth of the synthetic law `kind` over x from `x0` across
/// `decades` (the break of BNSL and the midpoint of M4 inside that range).
pub(super) fn synthetic_truth(
    kind: &str,
    rng: &mut ChaCha8Rng,
    x0: f64,
    decades: f64,
) -> Box<dyn Fn(f64) -> f64> {
    let lx0 = x0.ln();
    let lmid = lx0 + decades * std::f64::consts::LN_10 * rng.random_range(0.2..0.6);
    let e: f64 = rng.random_range(0.5..3.0);
    match kind {
        "synth-power" => {
            let a = rng.random_range(0.15..0.8);
            let amp = e * rng.random_range(0.5..3.0) * x0.powf(a);
            Box::new(move |x: f64| amp / x.powf(a) + e)
        }
        "synth-2power" => {
            let a = rng.random_range(0.4..1.0);
            let b = rng.random_range(0.05..0.25);
            let amp = e * rng.random_range(0.5..2.0) * x0.powf(a);
            let bmp = e * rng.random_range(0.1..0.5) * x0.powf(b);
            Box::new(move |x: f64| amp / x.powf(a) + bmp / x.powf(b) + e)
        }
        "synth-m4" => {
            let law = catalog::m4();
            let h = e * rng.random_range(1.0..4.0);
            let alpha = rng.random_range(0.2..1.5);
            let c = rng.random_range(0.2..0.9);
            let beta = (h / 2.0).powf(1.0 - alpha) * (c * lmid).exp();
            let p = [e, e + h, alpha, beta, c];
            Box::new(move |x: f64| law.predict(&[x], &p))
        }
        _ => {
            let law = catalog::bnsl(1);
            let c0 = rng.random_range(0.05..0.4);
            let c1 = rng.random_range(0.2..0.8);
            let f = rng.random_range(0.3..2.0);
            let b = e * rng.random_range(1.0..3.0) * x0.powf(c0);
            let p = [e, b, c0, lmid.exp(), c1, f];
            Box::new(move |x: f64| law.predict(&[x], &p))
        }
    }
}
