//! `slaw allocate --flops-col`: compute in PF-days is named as such
//! (probe54 #14), and the extrapolation warning is printed once (#16).

mod common;

use common::{slaw, write};
use tempfile::TempDir;

/// Chinchilla-law runs (E 1.69, A 406.4, alpha 0.34, B 410.7, beta 0.28),
/// 6 budgets 1e18..1e21 x 7 sizes around the optimum, a deterministic
/// +-0.5% wiggle; the compute column divided by `unit`.
fn runs(unit: f64) -> String {
    let mut s = String::from("N,C,loss\n");
    let mut k = 0u64;
    for c in [1e18, 4e18, 1.6e19, 6.4e19, 2.5e20, 1e21] {
        let n_opt = 0.1 * (c / 6.0f64).sqrt();
        for j in -3..=3 {
            let n = n_opt * 2f64.powi(j);
            let d = c / (6.0 * n);
            let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            k += 1;
            let l = (1.69 + 406.4 / n.powf(0.34) + 410.7 / d.powf(0.28)) * (1.0 + 0.01 * u);
            s += &format!("{n},{},{l}\n", c / unit);
        }
    }
    s
}

/// `slaw allocate FILE --n-col N --flops-col C --budget BUDGET` and `more`.
fn allocate(file: &str, budget: &str, more: &[&str]) -> std::process::Output {
    slaw()
        .args(["allocate", file, "--n-col", "N", "--flops-col", "C"])
        .args(["--budget", budget])
        .args(more)
        .output()
        .unwrap()
}

#[test]
fn compute_in_pf_days_is_named_not_n_or_d() {
    let dir = TempDir::new().unwrap();
    let f = write(&dir, "pfd.csv", &runs(8.64e19));
    let out = allocate(&f, "1157.4", &["--bootstrap", "0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("PF-days (1 PF-day = 8.64e19 FLOPs)?"),
        "{text}"
    );
    assert!(!text.contains("N or D is not a count"), "{text}");
    assert!(!text.contains("too small for training FLOPs"), "{text}");
    // In FLOPs: none of it.
    let g = write(&dir, "flops.csv", &runs(1.0));
    let out = allocate(&g, "1e23", &["--bootstrap", "0"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("another unit than FLOPs"), "{text}");
}

#[test]
fn the_extrapolation_warning_is_printed_once() {
    let dir = TempDir::new().unwrap();
    let g = write(&dir, "flops.csv", &runs(1.0));
    let out = allocate(&g, "1e23", &["--seed", "1", "--bootstrap", "20"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        all.matches("more than 10x outside the runs' compute")
            .count(),
        1,
        "{all}"
    );
}
