//! What a selection costs: the fine-tuning runs' examples and FLOPs.

use super::*;

/// Fine-tuning cost of a method: examples (and FLOPs = 6 x params x tokens
/// when the parameter counts and tokens per example are known) against
/// fine-tuning every candidate on the full target size.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cost {
    /// Fine-tuning examples processed, summed over candidates (x epochs).
    pub examples: f64,
    /// Examples for fine-tuning every candidate on the target size (x epochs).
    pub full_examples: f64,
    /// FLOPs of `examples` (when parameter counts and tokens per example are known).
    pub flops: Option<f64>,
    /// FLOPs of `full_examples`.
    pub full_flops: Option<f64>,
    /// The tokens per example the FLOPs assume (6 x parameters x tokens
    /// per example, x epochs); None without FLOPs.
    pub tokens_per_example: Option<f64>,
    /// Cost relative to fine-tuning every candidate on the full data: by
    /// FLOPs when known, otherwise by examples.
    pub ratio: f64,
}

impl Cost {
    /// Every figure finite: `--epochs 1e300 --tokens-per-example 1e300`
    /// made the FLOPs inf and the share NaN.
    /// When the examples are finite and so would be the FLOPs at the pool's
    /// median parameter count (`tokens` per example), but the FLOPs of
    /// `pool` are not, the cause is a parameter count (1e308 in the file):
    /// the error names the largest, not the flags.
    pub fn check(&self, pool: &[Candidate], tokens: Option<f64>) -> Result<()> {
        let figures = [
            self.examples,
            self.full_examples,
            self.ratio,
            self.flops.unwrap_or(0.0),
            self.full_flops.unwrap_or(0.0),
        ];
        if figures.iter().all(|v| v.is_finite()) {
            return Ok(());
        }
        let largest = pool
            .iter()
            .filter_map(|c| c.size.map(|s| (s, c.id.as_str())))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        let median = crate::stats::median(pool.iter().filter_map(|c| c.size).collect());
        let typical = 6.0 * median * tokens.unwrap_or(1.0) * self.full_examples;
        if let (true, Some((size, id))) =
            (self.examples.is_finite() && typical.is_finite(), largest)
        {
            return Err(Error::data(format!(
                "the fine-tuning FLOPs (6 x parameters x tokens per example x examples) \
                 overflow: the largest parameter count, {} (candidate '{id}'), is too large \
                 for them; check that column",
                crate::numbers::short(size)
            )));
        }
        Err(Error::setting(
            crate::error::Setting::CostFactors,
            format!(
                "the cost overflows (fine-tuning sizes summed: {}, {} FLOPs, share {}): the \
                 epochs or tokens per example are too large",
                self.examples,
                self.flops.map_or("-".into(), |f| format!("{f:e}")),
                self.ratio
            ),
        ))
    }

    /// The cost of scoring `pool` with `method` under `budget`.
    pub fn of(pool: &[Candidate], method: Method, budget: &Budget, opts: &SelectOptions) -> Cost {
        let mut examples = 0.0;
        let mut full = 0.0;
        let mut flops = 0.0;
        let mut full_flops = 0.0;
        let sizes_known = pool.iter().all(|c| c.size.is_some());
        for c in pool {
            let n: f64 = method.sizes_used(c, budget).iter().sum::<f64>() * opts.epochs;
            let f = budget.target * opts.epochs;
            examples += n;
            full += f;
            if let (Some(p), Some(t)) = (c.size, opts.tokens_per_example) {
                flops += 6.0 * p * t * n;
                full_flops += 6.0 * p * t * f;
            }
        }
        let by_flops = sizes_known && opts.tokens_per_example.is_some();
        let ratio = if by_flops {
            flops / full_flops
        } else if sizes_known {
            // Tokens per example cancel when it is the same for all.
            let share = |scale: f64| {
                let w: f64 = pool
                    .iter()
                    .map(|c| {
                        c.size.unwrap() / scale * method.sizes_used(c, budget).iter().sum::<f64>()
                    })
                    .sum();
                let wf: f64 = pool
                    .iter()
                    .map(|c| c.size.unwrap() / scale * budget.target)
                    .sum();
                w / wf
            };
            // Only the ratio matters: when a huge parameter count (1e308)
            // overflows the sums, divide the counts by the largest first.
            let r = share(1.0);
            if r.is_finite() {
                r
            } else {
                share(pool.iter().map(|c| c.size.unwrap()).fold(0.0, f64::max))
            }
        } else {
            examples / full
        };
        // An empty sum of f64 is -0.0 (methods that fine-tune nothing):
        // print it as 0.
        let plus = |v: f64| if v == 0.0 { 0.0 } else { v };
        Cost {
            examples: plus(examples),
            full_examples: full,
            flops: by_flops.then_some(plus(flops)),
            full_flops: by_flops.then_some(full_flops),
            tokens_per_example: opts.tokens_per_example.filter(|_| by_flops),
            ratio: plus(ratio),
        }
    }
}
