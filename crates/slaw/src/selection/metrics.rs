//! The selection benchmark's metrics (Lin et al. 2024).

/// Pearson correlation; NaN when either side is constant or lengths differ.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.len() < 2 {
        return f64::NAN;
    }
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Relative accuracy of choosing the model with true loss `chosen`:
/// (worst - chosen) / (worst - best); 1 = the best model was chosen.
pub fn relative_accuracy(truth: &[f64], chosen: f64) -> f64 {
    let worst = truth.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let best = truth.iter().cloned().fold(f64::INFINITY, f64::min);
    if worst == best {
        return 1.0;
    }
    (worst - chosen) / (worst - best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pearson_of_a_line_is_one() {
        let a = [1.0, 2.0, 3.0, 4.0];
        let b: Vec<f64> = a.iter().map(|x| 3.0 - 2.0 * x).collect();
        assert!((pearson(&a, &b) + 1.0).abs() < 1e-12);
        assert!(pearson(&a, &[1.0; 4]).is_nan());
    }

    #[test]
    fn relative_accuracy_bounds() {
        let t = [1.0, 2.0, 3.0];
        assert_eq!(relative_accuracy(&t, 1.0), 1.0);
        assert_eq!(relative_accuracy(&t, 3.0), 0.0);
        assert_eq!(relative_accuracy(&t, 2.0), 0.5);
    }
}
