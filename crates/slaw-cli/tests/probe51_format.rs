//! probe51: numbers outside the one format (`numbers::num`) where a new
//! user reads them — `methods`' crossing sentence for a factor in billions
//! (`at size_B = 8.000000` beside `setting: size_B = 8`), and `slaw plan`'s
//! costs (`2.593e17`, 4 digits; `1.530e6` examples with a trailing zero).

use assert_cmd::Command;
use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
use std::fs;
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// The published En-De runs with the model size in billions (column
/// `size_B`): a user's own unit.
fn runs_in_billions(dir: &TempDir) -> String {
    let csv = to_csv(&generate(&EN_DE, noise_sd(0.005), 2));
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "model_size").unwrap();
    let mut out = header.join(",").replace("model_size", "size_B") + "\n";
    for l in lines {
        let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
        if !cells[col].is_empty() {
            let v: f64 = cells[col].parse().unwrap();
            cells[col] = format!("{}", v / 1e9);
        }
        out += &(cells.join(",") + "\n");
    }
    let p = dir.path().join("runs_b.csv");
    fs::write(&p, out).unwrap();
    p.display().to_string()
}

/// The setting's factor value in the crossing sentence read `8.000000`
/// (the curve column's format) where the setting line says `8`; now both
/// say `8`, and the curve rows keep their aligned column.
#[test]
fn the_crossing_sentence_prints_the_setting_as_the_setting_line() {
    let dir = TempDir::new().unwrap();
    let f = runs_in_billions(&dir);
    let out = slaw()
        .args(["methods", &f, "--factor", "size_B", "--factor"])
        .args(["pretrain_tokens", "--at", "size_B=8", "--data", "3e3"])
        .args(["--bootstrap", "20"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("setting: size_B = 8, "), "{text}");
    assert!(text.contains(": at size_B = 8: "), "{text}");
    assert!(!text.contains("8.000000"), "{text}");
    // The curve rows: one aligned column (6 decimals in this range).
    assert!(text.contains("size_B =     0.500000: "), "{text}");
}

/// `slaw plan`'s costs went through `{:.3e}`: `2.593e17 FLOPs`, and in
/// examples `1.530e6` (a trailing zero the one format drops). Now `num`:
/// 6 significant digits, trailing zeros dropped.
#[test]
fn the_plan_prints_its_costs_in_the_one_number_format() {
    let dir = TempDir::new().unwrap();
    let plan = |tokens: &str| {
        format!(
            "name = \"p\"\nfull_size = 1638400\nbudget = \"1/64\"\nmethod = \"ats-gap\"\n\
             command = \"echo {{model}} {{n}}\"\n\
             loss = {{ kind = \"regex\", pattern = \"loss=([0-9.eE+-]+)\" }}\n{tokens}\n\
             [[candidate]]\nid = \"a\"\nparams = 355e6\n\n[[candidate]]\nid = \"b\"\nparams = 1.3e9\n"
        )
    };
    let p = dir.path().join("flops.toml");
    fs::write(&p, plan("tokens_per_example = 512")).unwrap();
    let out = slaw().arg("plan").arg(&p).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    // 2 candidates x (200 + ... + 25600 = 51000) examples x 512 tokens x 6 x params.
    let total = 6.0 * 512.0 * 51000.0 * (355e6 + 1.3e9);
    let line = text
        .lines()
        .find(|l| l.starts_with("at most "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(&format!("cost {} FLOPs", slaw::numbers::num(total))),
        "{line}"
    );
    assert!(!line.contains(&format!("{total:.3e}")), "{line}");
    let row = text.lines().find(|l| l.starts_with("b ")).unwrap();
    let b = 6.0 * 512.0 * 51000.0 * 1.3e9;
    assert!(row.contains(&slaw::numbers::num(b)), "{row}");

    let p = dir.path().join("examples.toml");
    // Without parameter counts the cost is in examples.
    let plain = plan("")
        .replace("params = 355e6\n", "")
        .replace("params = 1.3e9\n", "");
    fs::write(&p, plain).unwrap();
    let out = slaw().arg("plan").arg(&p).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("cost 102000 examples"), "{text}");
    assert!(!text.contains("1.020e5"), "{text}");
}

/// `allocate`'s law line printed the user's own parameters with trailing
/// zeros (`alpha=0.3400 ... beta=0.2800 E=1.6900` for `--params
/// 406.4,0.34,410.7,0.28,1.69`); now every parameter through `num`, as
/// given.
#[test]
fn allocate_prints_the_law_as_given() {
    let out = slaw()
        .args(["allocate", "--params", "406.4,0.34,410.7,0.28,1.69"])
        .args(["--budget", "5.76e23"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(
        text.starts_with(
            "law: L = E + A/N^alpha + B/D^beta with A=406.4 alpha=0.34 B=410.7 beta=0.28 E=1.69\n"
        ),
        "{text}"
    );
}
