//! `select` says, beside a learned interval, where its coverage was measured
//! short of its level: the target within 128x the largest affordable size
//! (budgets 1/8 ... 1/128; 1/32 until probe64), where a 90% interval covered 69-92% on synthetic
//! pools (README, "Where it is least safe"). A new user's probe found the
//! caveat in the README only.

use assert_cmd::Command;

fn notes(max_n: &str) -> Vec<String> {
    notes_with(&["--max-n", max_n])
}

/// `select`'s notes (JSON) on the README's pool with `args` added.
fn notes_with(args: &[&str]) -> Vec<String> {
    let out = Command::cargo_bin("slaw")
        .unwrap()
        .args(["select", "../../examples/curves.csv", "--target", "1638400"])
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_short_reach_says_what_the_interval_covered_on_curves_it_was_not_learned_on() {
    let near = notes("102400");
    let said: Vec<&String> = near
        .iter()
        .filter(|n| n.contains("nearer 70-85%"))
        .collect();
    assert_eq!(said.len(), 1, "{near:?}");
    assert!(said[0].contains("(here 16x)"), "{}", said[0]);
    // 64x: inside the reach since probe64 (70% at 1/64 on its pools)
    let mid = notes("25600");
    assert!(mid.iter().any(|n| n.contains("(here 64x)")), "{mid:?}");
    // 256x beyond: the interval covered its level there; no such note
    let far = notes("6400");
    assert!(!far.iter().any(|n| n.contains("nearer 70-85%")), "{far:?}");
}

/// The note quotes the coverage measured (each dataset left out) at the
/// level asked, 80%, 90% or 95%; at another level it says the figure is the
/// 90% one and that its own level was not measured.
#[test]
fn the_short_reach_note_quotes_the_coverage_at_the_level_asked() {
    let note = |level: &str| -> String {
        let all = notes_with(&["--max-n", "102400", "--level", level]);
        all.iter()
            .find(|n| n.contains("nearer 70-85%"))
            .cloned()
            .unwrap_or_else(|| panic!("level {level}: no short-reach note in {all:?}"))
    };
    let at80 = note("0.8");
    assert!(at80.contains("an 80% interval covered 73-93%"), "{at80}");
    let at90 = note("0.9");
    assert!(at90.contains("a 90% interval covered 80-97%"), "{at90}");
    let at95 = note("0.95");
    assert!(at95.contains("a 95% interval covered 87-100%"), "{at95}");
    let at85 = note("0.85");
    assert!(
        at85.contains("a 90% interval covered 80-97%") && at85.contains("not at 85%"),
        "{at85}"
    );
}
