//! lead68: the runner says what `slaw select` says of a noisy pool (its
//! trend methods rank by the AtS line there), in `slaw run`'s and `slaw
//! report`'s text.

mod common;

use common::{run, write};
use tempfile::TempDir;

/// 8 candidates of L = E + A n^-0.3 with a fixed, hash-like multiplicative
/// noise of about 4% (more than the 1.5% above which the trend methods
/// rank by the AtS line); zero-shot rows included.
fn noisy_pool() -> String {
    let mut s = String::from("model,n,loss\n");
    for i in 0..8u32 {
        let (a, e) = (20.0 + 3.0 * f64::from(i), 1.5 + 0.05 * f64::from(i));
        s += &format!("c{i},0,{:?}\n", e + a);
        for k in 0..14u32 {
            let n = 200.0 * 2f64.powi(k as i32);
            // a fixed draw in [-1, 1) per (candidate, size): a mixed hash
            let mut h = u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15)
                ^ u64::from(k + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            h ^= h >> 31;
            h = h.wrapping_mul(0x94D0_49BB_1331_11EB);
            h ^= h >> 29;
            let u = (h >> 11) as f64 / (1u64 << 52) as f64 - 1.0;
            s += &format!(
                "c{i},{n},{:?}\n",
                (e + a * n.powf(-0.3)) * (0.045 * u).exp()
            );
        }
    }
    s
}

#[test]
fn the_runner_says_a_noisy_pool_is_ranked_by_the_ats_line() {
    let dir = TempDir::new().unwrap();
    let pool = write(&dir, "pool.csv", &noisy_pool());
    let (code, out, err) = run(
        dir.path(),
        &["select", &pool, "--target", "1638400", "--budget", "1/64"],
    );
    assert_eq!(code, 0, "{err}");
    let note = out
        .lines()
        .find(|l| l.starts_with("note: the pool's points carry") && l.contains("AtS line"))
        .unwrap_or_else(|| panic!("select gives no noise note: {out}"))
        .to_string();
    let p = common::lookup_plan(&dir, "p.toml", &pool, 8);
    let (code, out, err) = run(dir.path(), &["run", &p]);
    assert!(code == 0 || code == 4, "{out}{err}");
    assert!(out.contains(&note), "slaw run: {out}");
    let (_, out, err) = run(dir.path(), &["report", &p]);
    assert!(out.contains(&note), "slaw report: {out}{err}");
}
