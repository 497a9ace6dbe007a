//! Helpers shared by the CLI tests.

#![allow(dead_code)]

use std::path::PathBuf;

/// A shared data set, or None (skipped, with a message) when ../shared is
/// absent; under CI=true its absence is a failure.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(sub);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing under CI",
        p.display()
    );
    eprintln!("SKIPPED: {} not found", p.display());
    None
}

/// The JSON a successful command printed (its stderr shown otherwise).
pub fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A training log of every step: a `step,loss` row for each k of `ks` at
/// step `offset + k`, the loss `law(step)` times a deterministic +-0.5%
/// wiggle drawn from k.
pub fn long_curve(ks: impl Iterator<Item = u64>, offset: f64, law: impl Fn(f64) -> f64) -> String {
    let mut s = String::from("step,loss\n");
    for k in ks {
        let t = offset + k as f64;
        let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        s += &format!("{t},{}\n", law(t) * (1.0 + 0.01 * u));
    }
    s
}

/// The `slaw` binary under test.
pub fn slaw() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("slaw").unwrap()
}

/// Run `slaw args` in `dir`: (exit code, stdout, stderr).
pub fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = slaw().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// Write `text` to `name` in `dir`; its path.
pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// The `warnings` of a command's JSON, as strings.
pub fn warnings(v: &serde_json::Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// One FLAN candidate's fine-tuning curve at sizes 200..25,600 as an
/// `n,loss` table, and its measured loss at 1,638,400 examples; None
/// (skipped, as [`shared`] says) when ../shared is absent.
pub fn flan_curve(model: &str) -> Option<(String, f64)> {
    let text = std::fs::read_to_string(shared("finetune-selection/flan.csv")?).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let prefix = format!("{model},");
    let row: Vec<&str> = lines
        .find(|l| l.starts_with(&prefix))
        .unwrap()
        .split(',')
        .collect();
    let mut csv = String::from("n,loss\n");
    for k in 2..10 {
        csv.push_str(&format!("{},{}\n", header[k], row[k]));
    }
    let full = row[header.iter().position(|h| *h == "1638400").unwrap()]
        .parse()
        .unwrap();
    Some((csv, full))
}

/// A per-position file (`step,position,loss,lr`) of the temporal law's
/// catalog forms under the rate `lr(t)` (peak `peak`), checkpoints every 200
/// steps to `last`, positions 1..64: a0 = 3 - 0.3 ln(t/1000), a1 = 0.5, a2 =
/// 4.2 - 0.25 ln(S1 / peak / 1000) + 0.6 eta (the lr form), with small
/// deterministic noise (0.2% at most). Returns the text and the noise-free
/// final mean loss.
pub fn per_position_from_rate(last: usize, peak: f64, lr: impl Fn(usize) -> f64) -> (String, f64) {
    let mut s1 = vec![0.0; last + 1];
    for t in 1..=last {
        s1[t] = s1[t - 1] + lr(t);
    }
    let mut text = String::from("step,position,loss,lr\n");
    let mut truth = 0.0;
    let mut k = 0u64;
    for t in (200..=last).step_by(200) {
        let a0 = 3.0 - 0.3 * (t as f64 / 1000.0).ln();
        let a1 = 0.5;
        let a2 = 4.2 - 0.25 * (s1[t] / peak / 1000.0).ln() + 0.6 * lr(t) / peak;
        let mut sum = 0.0;
        for i in 1..=64 {
            let v = a0 / (1.0 + a1 * i as f64) + a2;
            sum += v;
            k += 1;
            let z = ((k as f64) * 12.9898).sin();
            text.push_str(&format!("{t},{i},{:.6},{}\n", v * (1.0 + 0.002 * z), lr(t)));
        }
        truth = sum / 64.0;
    }
    (text, truth)
}

/// Whether python3 runs (the runner tests' fake trainers are Python); when
/// not, the test skips with a message.
pub fn python_ok() -> bool {
    let ok = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: python3 is not available for the fake trainer");
    }
    ok
}

/// probe60's `pw.csv`: n = 100 x 2^i, a power law with noise (fitted by an
/// exponential in the formula tests: a misfit whose refits have more than
/// one optimum to fall in).
pub const PW: [(f64, f64); 12] = [
    (100.0, 4.816544005035268),
    (200.0, 4.274978741069113),
    (400.0, 3.7710699908702088),
    (800.0, 3.432292393609649),
    (1600.0, 3.1080046109025377),
    (3200.0, 2.8619585419906444),
    (6400.0, 2.691060304456678),
    (12800.0, 2.505074306899853),
    (25600.0, 2.3705873485485887),
    (51200.0, 2.2721467840773895),
    (102400.0, 2.1890821632366504),
    (204800.0, 2.1057181047508933),
];

/// An `n,loss` file of `points`, n times `scale` (written to round-trip).
pub fn n_loss_csv(points: &[(f64, f64)], scale: f64) -> String {
    let mut s = String::from("n,loss\n");
    for (x, y) in points {
        s += &format!("{:?},{y:?}\n", x * scale);
    }
    s
}

/// The repository's README.md.
pub fn readme() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join("README.md")).unwrap()
}

/// The lines of README's ```sh blocks, continuation lines joined, in order.
pub fn sh_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_sh = false;
    let mut pending = String::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        out.push(std::mem::take(&mut pending));
    }
    out
}

/// The runner tests' plan on run54's 8-candidate pool (`tests/data/run54_pool.csv`;
/// budget 1/64, zero-shot, the default ascending + drop_worse, 2 slots):
/// `trainer` (a Python script reading the pool's losses) written beside it
/// and run as `python3 tr.py POOL {model} {n} MODE`, `extra` plan lines;
/// written to `dir/name`.
#[allow(dead_code)]
pub fn run54_pool_plan(
    dir: &std::path::Path,
    name: &str,
    trainer: &str,
    mode: &str,
    extra: &str,
) -> PathBuf {
    let tr = dir.join("tr.py");
    std::fs::write(&tr, trainer).unwrap();
    let pool = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/run54_pool.csv");
    let mut text = format!(
        "full_size = 1638400\nbudget = \"1/64\"\nmin_size = 200\nzero_shot = true\nslots = 2\n\
         {extra}\ncommand = \"python3 {} {} {{model}} {{n}} {mode}\"\n\
         loss = {{ kind = \"json\", file = \"metrics.json\", key = \"eval_loss\" }}\n",
        tr.display(),
        pool.display()
    );
    for i in 0..8 {
        text += &format!(
            "[[candidate]]\nid = \"cand0{i}\"\nparams = {}\n",
            (i + 1) * 100_000_000
        );
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A runner plan over a long-format pool `pool` (model,n,loss): budget
/// 1/64 of 1,638,400, zero-shot, 2 slots, candidates c0 ... c{count - 1}
/// (params (i + 1) 1e8); each run prints its loss looked up in the pool
/// (awk). Written to `dir/name`; its path.
#[allow(dead_code)]
pub fn lookup_plan(dir: &tempfile::TempDir, name: &str, pool: &str, count: usize) -> String {
    let mut plan = format!(
        "full_size = 1638400\nbudget = \"1/64\"\nmin_size = 200\nzero_shot = true\nslots = 2\n\
         command = \"awk -F, -v m={{model}} -v n={{n}} '$1 == m && $2 == n {{{{ print \\\"eval_loss=\\\" $3 }}}}' {pool}\"\n\
         loss = {{ kind = \"regex\", pattern = \"eval_loss=([0-9.eE+-]+)\" }}\n"
    );
    for i in 0..count {
        plan += &format!(
            "[[candidate]]\nid = \"c{i}\"\nparams = {}\n",
            (i + 1) * 100_000_000
        );
    }
    write(dir, name, &plan)
}

/// The run ids of a runner command's JSON `runs` (those the journal holds).
#[allow(dead_code)]
pub fn run_ids(v: &serde_json::Value) -> Vec<String> {
    v["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// The per-position loss of a new user's probe runs at `step` and position
/// `i` (counted from 1): a0 / (1 + a1 i) + a2 with a0 = 3 + 8 u^-0.5, a1 =
/// 0.05 + 0.5 u^-0.7, a2 = 2.2 + 1.5 u^-0.4, u = step / 1000.
#[allow(dead_code)]
pub fn probe_position_loss(step: f64, i: f64) -> f64 {
    let u = step / 1000.0;
    let (a0, a1, a2) = (
        3.0 + 8.0 * u.powf(-0.5),
        0.05 + 0.5 * u.powf(-0.7),
        2.2 + 1.5 * u.powf(-0.4),
    );
    a0 / (1.0 + a1 * i) + a2
}

/// A deterministic standard normal stream (splitmix64, Box-Muller) for
/// generated test data.
pub struct Normal(pub u64);

impl Normal {
    /// A uniform draw in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard normal draw.
    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}
