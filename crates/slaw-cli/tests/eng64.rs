//! eng64: intervals are predictions too. (1) Multiplying x by 10^k changes
//! no interval: the bootstrap's refits of a formula law (no closed-form map
//! of its parameters between units) ran in the data's units, so with a rate
//! in `exp(-k*n)` and n in units 1e9 times smaller the refits saw another
//! problem and the 95% interval's upper end moved from 2.68 to 2.51; they
//! now search the full fit's own scaled problem, from its optima as they
//! were there. (2) The same rows in another order give the same output,
//! byte for byte: `compare`'s backtest pick and `select`'s pool-level sums
//! ran in the file's row order (the last digits moved).

mod common;

use common::{json_of, n_loss_csv as csv, slaw, write, PW};

/// The prediction at 2x the largest n (times `scale`) with its bootstrap
/// interval (200 replicates) and its extrapolation interval, the bootstrap's
/// converged refits: `[value, lo, hi, ext lo, ext hi]`, refits.
fn intervals(path: &str, law: &[&str], scale: f64) -> (Vec<f64>, u64) {
    let at = format!("{:?}", 409600.0 * scale);
    let out = slaw()
        .args(["fit", path, "--x", "n"])
        .args(law)
        .args(["--predict", &at, "--bootstrap", "200", "--json"])
        .output()
        .unwrap();
    let g = json_of(&out)["groups"][0].clone();
    let p = &g["predictions"][0];
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or_else(|| panic!("{g}"));
    (
        vec![
            num(&p["value"]),
            num(&p["interval"]["lo"]),
            num(&p["interval"]["hi"]),
            num(&p["extrapolation_interval"]["lo"]),
            num(&p["extrapolation_interval"]["hi"]),
        ],
        g["bootstrap"]["converged"].as_u64().unwrap(),
    )
}

#[test]
fn bootstrap_and_extrapolation_intervals_do_not_depend_on_the_unit_of_x() {
    let dir = tempfile::tempdir().unwrap();
    let laws: [&[&str]; 3] = [
        &["--formula", "A*exp(-k*n)+E", "--params", "A,k,E"],
        &["--formula", "A/(1+n/c)+E", "--params", "A,c,E"],
        &["--law", "power"],
    ];
    for law in laws {
        let base_file = write(&dir, "pw0.csv", &csv(&PW, 1.0));
        let (base, refits) = intervals(&base_file, law, 1.0);
        assert!(refits >= 190, "{law:?}: {refits} of 200 refits kept");
        for k in [-9, -6, -3, 3, 6, 9] {
            let scale = 10f64.powi(k);
            let f = write(&dir, &format!("pw{k}.csv"), &csv(&PW, scale));
            let (v, r) = intervals(&f, law, scale);
            assert_eq!(r, refits, "{law:?} x 1e{k}: refits kept");
            for (what, (a, b)) in ["value", "bootstrap lo", "bootstrap hi", "ext lo", "ext hi"]
                .iter()
                .zip(base.iter().zip(&v))
            {
                assert!(
                    (b / a - 1.0).abs() <= 1e-6,
                    "{law:?} x 1e{k}: {what} {b} vs {a} (all {v:?} vs {base:?})"
                );
            }
        }
    }
}

/// `rows` in the order `order` (a permutation), under `header`.
fn reordered(header: &str, rows: &[String], order: &[usize]) -> String {
    let mut s = format!("{header}\n");
    for &i in order {
        s += &rows[i];
        s.push('\n');
    }
    s
}

/// A fixed permutation of `0..n` that moves every row (a stride coprime
/// with n, shifted).
fn shuffle(n: usize) -> Vec<usize> {
    let stride = (2..n).find(|s| gcd(*s, n) == 1 && *s * 3 > n).unwrap_or(1);
    (0..n).map(|i| (i * stride + 3) % n).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// `slaw args` run on `file` (named `name`) in two directories, once with
/// the rows as given and once shuffled: stdout of both.
fn both_orders(header: &str, rows: &[String], name: &str, args: &[&str]) -> (String, String) {
    let mut outs = Vec::new();
    for order in [(0..rows.len()).collect::<Vec<_>>(), shuffle(rows.len())] {
        let dir = tempfile::tempdir().unwrap();
        write(&dir, name, &reordered(header, rows, &order));
        let out = slaw().current_dir(dir.path()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        outs.push(String::from_utf8(out.stdout).unwrap());
    }
    let b = outs.pop().unwrap();
    (outs.pop().unwrap(), b)
}

#[test]
fn shuffled_rows_give_byte_identical_output() {
    let rows: Vec<String> = PW.iter().map(|(x, y)| format!("{x:?},{y:?}")).collect();
    for args in [
        &[
            "fit",
            "pw.csv",
            "--x",
            "n",
            "--formula",
            "A*exp(-k*n)+E",
            "--params",
            "A,k,E",
            "--predict",
            "409600",
            "--bootstrap",
            "100",
            "--json",
        ][..],
        &[
            "fit",
            "pw.csv",
            "--x",
            "n",
            "--law",
            "vanilla-ft",
            "--predict",
            "409600",
            "--json",
        ],
        &["compare", "pw.csv", "--x", "n", "--json"],
        &["compare", "pw.csv", "--x", "n"],
    ] {
        let (a, b) = both_orders("n,loss", &rows, "pw.csv", args);
        assert_eq!(a, b, "{args:?}");
    }
    // A pool of 12 candidates (wide format), each E + A / (n0 + n)^a with a
    // deterministic +-1% wiggle.
    let sizes: Vec<f64> = std::iter::once(0.0)
        .chain((0..14).map(|i| 200.0 * 2f64.powi(i)))
        .collect();
    let header = std::iter::once("model".to_string())
        .chain(sizes.iter().map(|n| format!("{n}")))
        .collect::<Vec<_>>()
        .join(",");
    let rows: Vec<String> = (0..12u64)
        .map(|m| {
            let (e, a, n0, p) = (
                1.2 + 0.05 * m as f64,
                6.0 + 0.7 * (m % 5) as f64,
                300.0 + 150.0 * (m % 4) as f64,
                0.25 + 0.02 * (m % 3) as f64,
            );
            let cells: Vec<String> = sizes
                .iter()
                .enumerate()
                .map(|(i, &n)| {
                    let u = (((m * 31 + i as u64) * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
                    format!("{:?}", (e + a / (n0 + n).powf(p)) * (1.0 + 0.02 * u))
                })
                .collect();
            format!("model-{m:02},{}", cells.join(","))
        })
        .collect();
    for args in [
        &[
            "select", "pool.csv", "--target", "1638400", "--budget", "1/64", "--json",
        ][..],
        &[
            "select", "pool.csv", "--target", "1638400", "--budget", "1/64",
        ],
        &[
            "select", "pool.csv", "--target", "1638400", "--budget", "1/16", "--method", "ats",
            "--json",
        ],
    ] {
        let (a, b) = both_orders(&header, &rows, "pool.csv", args);
        assert_eq!(a, b, "{args:?}");
    }
}
