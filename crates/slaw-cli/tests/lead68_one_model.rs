//! lead68: `slaw schedule` fits its runs as one model; runs of different
//! models whose learning rates agree over their first steps are named.

mod common;

use common::{shared, slaw};

/// The warnings naming runs that are not one model.
fn warnings(v: &serde_json::Value) -> Vec<String> {
    common::warnings(v)
        .into_iter()
        .filter(|w| w.contains("are not one model"))
        .collect()
}

/// The probe's example: the 25M model's constant and WSD runs with the
/// 100M model's cosine run. Both pairs with the 100M run are named (the
/// cosine run logs 16 steps off the others: compared by interpolation);
/// the two 25M runs are not, nor any pair of the 25M runs alone.
#[test]
fn runs_of_the_25m_and_100m_models_are_named() {
    let Some(d) = shared("loss-curves/multipower") else {
        return;
    };
    let f = |p: &str| d.join(p).display().to_string();
    let run = |files: &[&str]| {
        let out = slaw()
            .arg("schedule")
            .args(files.iter().map(|p| f(p)))
            .args([
                "--predict",
                "cosine:peak=3e-4,total=72000",
                "--bootstrap",
                "0",
            ])
            .arg("--json")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        common::json_of(&out)
    };
    let mixed = warnings(&run(&[
        "25/constant_24000.csv",
        "100/cosine_24000.csv",
        "25/wsd_20000_24000.csv",
    ]));
    assert_eq!(mixed.len(), 2, "{mixed:?}");
    assert!(
        mixed.iter().all(|w| w.contains("'cosine_24000'")),
        "{mixed:?}"
    );
    let one = warnings(&run(&[
        "25/constant_24000.csv",
        "25/cosine_24000.csv",
        "25/wsd_20000_24000.csv",
        "25/wsdcon_9.csv",
    ]));
    assert!(one.is_empty(), "{one:?}");
}

/// Generated runs, no data needed: two runs of one law at 1% noise share
/// their constant rate up to 8000 steps; a third run of another model
/// (its loss 10% higher) is named against both, in the text too.
#[test]
fn a_run_of_another_model_is_named_on_generated_runs() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut rng = 12345u64;
    let mut noise = || {
        // xorshift, then a sum of uniforms: a fixed, roughly normal draw
        let mut s = 0.0;
        for _ in 0..12 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            s += (rng >> 11) as f64 / (1u64 << 53) as f64;
        }
        s - 6.0
    };
    let mut write = |name: &str, lr: &dyn Fn(f64) -> f64, scale: f64| {
        let mut s = String::from("step,lr,loss\n");
        let mut sum = 0.0;
        for i in 1..=200 {
            let t = 100.0 * i as f64;
            sum += 100.0 * lr(t);
            let loss = scale * (2.5 + 0.6 * sum.powf(-0.5)) * (0.01 * noise()).exp();
            s.push_str(&format!("{t},{},{loss}\n", lr(t)));
        }
        let p = dir.path().join(name);
        std::fs::write(&p, s).unwrap();
        p.display().to_string()
    };
    let a = write("constant.csv", &|_| 3e-4, 1.0);
    let b = write(
        "two-stage.csv",
        &|t| if t < 8000.0 { 3e-4 } else { 1e-4 },
        1.0,
    );
    let c = write("bigger.csv", &|_| 3e-4, 1.1);
    let out = slaw()
        .args([
            "schedule",
            &a,
            &b,
            &c,
            "--bootstrap",
            "0",
            "--steps",
            "30000",
        ])
        .args(["--predict", "constant:peak=3e-4"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let named: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("are not one model"))
        .collect();
    assert_eq!(named.len(), 2, "{text}");
    assert!(named.iter().all(|l| l.contains("'bigger'")), "{named:?}");
}
