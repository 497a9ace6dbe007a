//! `slaw schedule` says what its intervals covered as measured, per law,
//! and says nothing of the kind when it gives no interval.

mod common;
use common::{shared, slaw};

fn schedule(method: &str, bootstrap: &str) -> Option<String> {
    let d = shared("loss-curves/multipower/25")?;
    let out = slaw()
        .arg("schedule")
        .args(["constant_24000.csv", "cosine_24000.csv", "wsdcon_9.csv"].map(|f| d.join(f)))
        .args(["--method", method, "--bootstrap", bootstrap])
        .args(["--predict", "cosine:peak=3e-4,total=72000,warmup=2160"])
        .output()
        .expect("run slaw");
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

#[test]
fn schedule_text_states_the_measured_coverage_of_its_law() {
    for (method, covered, synthetic) in [
        ("tissue", "9 of 12", true),
        ("multipower-warmup", "12 of 12", false),
    ] {
        let Some(text) = schedule(method, "20") else {
            return;
        };
        let line = text
            .lines()
            .find(|l| l.starts_with("coverage as measured:"))
            .unwrap_or_else(|| panic!("{method}: no coverage line in\n{text}"));
        assert!(
            line.contains(&format!("{method}'s 90% intervals covered {covered}")),
            "{line}"
        );
        assert_eq!(line.contains("conservative"), synthetic, "{line}");
    }
    let Some(text) = schedule("tissue", "0") else {
        return;
    };
    assert!(!text.contains("coverage as measured"), "{text}");
}
