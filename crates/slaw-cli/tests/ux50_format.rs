//! ux50: probe48 9b (one number format per report) and 9a (the `methods`
//! table aligned for a long method name).

use assert_cmd::Command;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

const FACTORS: [&str; 4] = ["--factor", "model_size", "--factor", "pretrain_tokens"];

/// The words of `text` that are numbers in a form the one rule does not
/// print: scientific with a trailing zero in the mantissa (8.00000e9,
/// 1.00000e-10) or a whole number of 7 digits or more (8000000000).
fn off_format(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '.' || c == '-'))
        .filter(|w| {
            let sci = w.split_once('e').is_some_and(|(m, e)| {
                m.contains('.')
                    && m.ends_with('0')
                    && m.chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
                    && e.trim_start_matches('-').parse::<u32>().is_ok()
            });
            let whole = w.len() >= 7 && w.chars().all(|c| c.is_ascii_digit());
            sci || whole
        })
        .map(str::to_string)
        .collect()
}

/// The published En-De runs, with the method "lora" renamed `lora` and
/// "prompt" reduced to a single model size (its model-size factor is then
/// skipped with the value it has).
fn runs(dir: &TempDir, lora: &str) -> String {
    let mut runs = generate(&EN_DE, noise_sd(0.005), 2);
    runs.runs
        .retain(|r| !(r.method == "prompt" && r.factor == 0 && r.x != 1e9));
    for r in runs.runs.iter_mut().filter(|r| r.method == "lora") {
        r.method = lora.to_string();
    }
    let p = dir.path().join("runs.csv");
    fs::write(&p, to_csv(&runs)).unwrap();
    p.display().to_string()
}

/// 9b: `methods` printed "model_size = 8000000000" in its setting beside
/// "at model_size = 8.00000e9" and a grid of "5.00000e8"; `joint` printed a
/// skipped factor's "model_size = 1000000000". Now every factor value,
/// parameter and threshold follows `numbers::num`'s one rule: 8e9, 5e8,
/// 1e9, 1.68179e9.
#[test]
fn methods_and_joint_print_one_number_format() {
    let dir = TempDir::new().unwrap();
    let f = runs(&dir, "lora");
    let out = slaw()
        .args(["methods", &f])
        .args(FACTORS)
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "20",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.starts_with("setting: model_size = 8e9, fine-tuning data D_f = 3000 "),
        "{text}"
    );
    assert!(text.contains(": at model_size = 8e9: "), "{text}");
    assert!(text.contains("model_size =          5e8: "), "{text}");
    assert!(text.contains("model_size =    1.68179e9: "), "{text}");
    assert_eq!(off_format(&text), Vec::<String>::new(), "{text}");

    let out = slaw().args(["joint", &f]).args(FACTORS).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains("every run has model_size = 1e9"),
        "the skipped factor's value: {text}"
    );
    assert_eq!(off_format(&text), Vec::<String>::new(), "{text}");
}

/// 9a: the method column is as wide as the longest method name, so every
/// row of the table lines up with its header ("Switch Transformer" pushed
/// its loss two characters right).
#[test]
fn the_methods_table_lines_up_for_a_long_method_name() {
    let dir = TempDir::new().unwrap();
    let long = "Switch Transformer (top-2)";
    let f = runs(&dir, long);
    let out = slaw()
        .args(["methods", &f])
        .args(FACTORS)
        .args([
            "--at",
            "model_size=8e9",
            "--data",
            "3e3",
            "--bootstrap",
            "20",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("method "))
        .take_while(|l| !l.is_empty() && !l.starts_with("intervals:"))
        .collect();
    assert!(table.len() >= 3, "{text}");
    assert!(table.iter().any(|l| l.starts_with(long)), "{text}");
    let width = table[0].chars().count();
    for l in &table {
        assert_eq!(l.chars().count(), width, "{l:?} in\n{text}");
    }
    // the loss column ends at one place: the header's "loss"
    let end = table[0].find("loss").unwrap() + 4;
    for l in &table[1..] {
        let before = &l[..end];
        assert!(
            before.ends_with(|c: char| c.is_ascii_digit()) && l[end..].starts_with(' '),
            "{l:?} in\n{text}"
        );
    }
}
