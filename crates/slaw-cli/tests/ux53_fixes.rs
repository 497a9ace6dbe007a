//! ux53, probe52 findings 8, 12, W&B and run: the allocation contours
//! through the asked budgets' optima over the runs; long titles that fit
//! and text tables padded by display width (a CJK name); a W&B export's
//! loss column read for the default `loss`; a failed run's log line shown.

mod common;

use common::{run, shared};
use std::fs;
use tempfile::TempDir;

/// A W&B export: `Step`, `run-1 - train/loss` and its `__MIN`/`__MAX`
/// companions (their values off, so that reading one would show).
fn wandb_csv(extra_loss: bool) -> String {
    let mut s =
        String::from("Step,run-1 - train/loss,run-1 - train/loss__MIN,run-1 - train/loss__MAX");
    if extra_loss {
        s += ",run-1 - eval/loss";
    }
    s += "\n";
    for i in 1..=60u32 {
        let t = 10.0 * i as f64;
        let u = ((i * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
        let l = (3.0 / (1.0 + t / 50.0) + 2.0) * (1.0 + 0.01 * u);
        s += &format!("{t},{l},{},{}", l * 0.5, l * 2.0);
        if extra_loss {
            s += &format!(",{}", l + 0.1);
        }
        s += "\n";
    }
    s
}

#[test]
fn forecast_reads_a_wandb_exports_loss_column_and_says_so() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("w.csv"), wandb_csv(false)).unwrap();
    let base = [
        "forecast",
        "w.csv",
        "--step-col",
        "Step",
        "--fit-until",
        "0.5",
        "--method",
        "reciprocal",
        "--bootstrap",
        "20",
        "--json",
    ];
    let (code, out, err) = run(dir.path(), &base);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("no 'loss' column: the loss is read from 'run-1 - train/loss'"),
        "{err}"
    );
    assert!(err.contains("--loss-col names another"), "{err}");
    // The same forecast as with the column named.
    let mut named = base.to_vec();
    named.extend(["--loss-col", "run-1 - train/loss"]);
    let (code, out2, err2) = run(dir.path(), &named);
    assert_eq!(code, 0, "{err2}");
    assert!(!err2.contains("no 'loss' column"), "{err2}");
    assert_eq!(out, out2);
    // The observed loss is the train/loss column's, not __MIN's or __MAX's.
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let last = v["forecasts"].as_array().unwrap().last().unwrap().clone();
    let observed = last["observed"].as_f64().unwrap();
    let l600 = (3.0 / (1.0 + 600.0 / 50.0) + 2.0)
        * (1.0 + 0.01 * (((60 * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5));
    assert!((observed - l600).abs() < 1e-9, "{observed} vs {l600}");

    // Two W&B loss columns: an error listing both, exit 2.
    fs::write(dir.path().join("w2.csv"), wandb_csv(true)).unwrap();
    let (code, _, err) = run(
        dir.path(),
        &[
            "forecast",
            "w2.csv",
            "--step-col",
            "Step",
            "--fit-until",
            "0.5",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(
            "2 columns of a W&B export hold a loss ('run-1 - train/loss', 'run-1 - eval/loss')"
        ),
        "{err}"
    );
    assert!(err.contains("--loss-col"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn select_reads_a_wandb_style_loss_column_too() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("model,n,run-7 - eval/loss,run-7 - eval/loss__MIN\n");
    for (m, b, e) in [("a", 40.0, 1.2), ("b", 30.0, 1.5), ("c", 50.0, 1.0)] {
        for k in 0..8 {
            let n = 200.0 * 2f64.powi(k);
            let l: f64 = b / (20.0 + n.powf(0.5)) + e;
            csv += &format!("{m},{n},{l},{}\n", l / 2.0);
        }
    }
    fs::write(dir.path().join("p.csv"), &csv).unwrap();
    let (code, out, err) = run(
        dir.path(),
        &["select", "p.csv", "--target", "25600", "--max-n", "3200"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("the loss is read from 'run-7 - eval/loss'"),
        "{err}"
    );
    assert!(out.contains("chosen:"), "{out}");
}

/// The columns of `slaw select`'s table line up after a name with wide
/// (CJK) characters: every ranked row has its score at the same display
/// column.
#[test]
fn select_table_pads_names_by_display_width() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("model,n,loss\n");
    for (m, b, e) in [
        ("LaMini, 124M — 大模型 ü", 40.0, 1.2),
        ("plain-model", 30.0, 1.5),
        ("模型", 50.0, 1.0),
    ] {
        for k in 0..8 {
            let n = 200.0 * 2f64.powi(k);
            let l: f64 = b / (20.0 + n.powf(0.5)) + e;
            csv += &format!("\"{m}\",{n},{l}\n");
        }
    }
    fs::write(dir.path().join("u.csv"), &csv).unwrap();
    let (code, out, err) = run(
        dir.path(),
        &["select", "u.csv", "--target", "25600", "--max-n", "3200"],
    );
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.trim_start().starts_with(['1', '2', '3']) && l.contains('['))
        .collect();
    assert_eq!(rows.len(), 3, "{out}");
    // The display column where the interval starts.
    let at: Vec<usize> = rows
        .iter()
        .map(|l| slaw::numbers::display_width(&l[..l.find('[').unwrap()]))
        .collect();
    assert!(at.iter().all(|&a| a == at[0]), "{at:?}\n{out}");
    assert!(out.contains("大模型"), "the name is printed whole: {out}");
}

/// Synthetic pretraining runs from a known Chinchilla law on a grid of N
/// and D (a few per cent of wiggle).
fn chinchilla_runs() -> String {
    let mut s = String::from("n,d,loss\n");
    let (a, alpha, b, beta, e) = (406.4, 0.34, 410.7, 0.28, 1.69);
    let mut k = 0u64;
    for i in 0..8 {
        for j in 0..8 {
            let n = 5e7 * 2f64.powi(i);
            let d = 1e9 * 2f64.powi(j);
            k += 1;
            let u = ((k * 7919 + 13) % 1000) as f64 / 1000.0 - 0.5;
            let l = (e + a / n.powf(alpha) + b / d.powf(beta)) * (1.0 + 0.004 * u);
            s += &format!("{n},{d},{l}\n");
        }
    }
    s
}

/// `slaw allocate --plot`: the contours figure has one contour per asked
/// budget, labelled with the budget and the loss the table gives there,
/// and the runs drawn (without `--method`, where they were missing).
#[test]
fn allocate_contours_go_through_the_asked_budgets_and_show_the_runs() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("runs.csv"), chinchilla_runs()).unwrap();
    let (code, out, err) = run(
        dir.path(),
        &[
            "allocate",
            "runs.csv",
            "--n-col",
            "n",
            "--d-col",
            "d",
            "--budget",
            "1e21",
            "--budget",
            "5.76e23",
            "--bootstrap",
            "20",
            "--json",
            "--plot",
            "a.svg",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let svg = fs::read_to_string(dir.path().join("a-contours.svg")).unwrap();
    for (budget, row) in ["1e21", "5.76e23"]
        .iter()
        .zip(v["rows"].as_array().unwrap())
    {
        let loss = row["loss"].as_f64().unwrap();
        let label = format!("C = {budget}: loss {}", slaw::numbers::sig(loss, 5));
        assert!(
            svg.contains(&label),
            "'{label}' missing from the contours figure"
        );
    }
    assert!(svg.contains("runs (6ND, N)"), "the runs' legend entry");
    assert!(svg.contains("optimum at each asked budget"));
    // 64 runs drawn as points (plus the legend's swatch).
    let circles = svg.matches("<circle").count();
    assert!(circles >= 64, "{circles} circles");
}

/// The what-if title, wider than the plot at 20 px, is drawn smaller and
/// whole (it was clipped at the PNG's left edge).
#[test]
fn a_long_figure_title_is_drawn_whole_and_smaller() {
    let Some(mp) = shared("loss-curves/multipower/25") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let f = |n: &str| mp.join(n).display().to_string();
    let (code, _, err) = run(
        dir.path(),
        &[
            "schedule",
            &f("constant_24000.csv"),
            &f("cosine_24000.csv"),
            &f("wsdcon_9.csv"),
            "--predict",
            "cosine:peak=3e-4,final=3e-5,total=72000,warmup=2160",
            "wsd:peak=3e-4,final=3e-5,decay_start=20000,total=24000,decay=exp,warmup=2160",
            "--bootstrap",
            "20",
            "--plot",
            "s.svg",
        ],
    );
    assert!(code == 0 || code == 3, "{err}");
    let svg = fs::read_to_string(dir.path().join("s.svg")).unwrap();
    // The title's <text> element: its attributes, then its text.
    let at = svg.find("what-if schedules").expect("the title");
    let open = svg[..at].rfind("<text").unwrap();
    let close = at + svg[at..].find("</text>").unwrap();
    let text = svg[svg[open..].find('>').unwrap() + open + 1..close].trim();
    assert!(text.ends_with("warmup=2160"), "cut: {text}");
    let size: f64 = svg[open..at]
        .split("font-size=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    // 20 px is written as font-size 20 / 1.24 (plotters' SVG em); the
    // smallest, 12 px, as 12 / 1.24.
    assert!(
        (12.0 / 1.24 - 0.01..20.0 / 1.24 - 0.01).contains(&size),
        "{size}: {text}"
    );
}

/// `slaw run` with a trainer that fails: exit 4, the run and its
/// stderr.log named, and the log's last non-empty line shown (cut to 120
/// columns).
#[test]
fn a_failed_runs_last_log_line_is_shown() {
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !python {
        eprintln!("SKIPPED: python3 is not available for the fake trainer");
        return;
    }
    let dir = TempDir::new().unwrap();
    let trainer = dir.path().join("t.py");
    fs::write(
        &trainer,
        r#"import json, os, sys
model, n, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if model == "oom":
    print("loading the model", file=sys.stderr)
    print("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB " + "x" * 300, file=sys.stderr)
    print("", file=sys.stderr)
    sys.exit(1)
os.makedirs(out, exist_ok=True)
json.dump({"eval_loss": 40.0 / (20.0 + n ** 0.5) + 1.2}, open(os.path.join(out, "m.json"), "w"))
"#,
    )
    .unwrap();
    let plan = format!(
        "full_size = 100000\nbudget = \"1/8\"\nmethod = \"ats\"\nslots = 2\nbootstrap = 50\n\
         command = \"python3 {} {{model}} {{n}} {{out}}\"\n\
         loss = {{ kind = \"json\", file = \"{{out}}/m.json\", key = \"eval_loss\" }}\n\
         [[candidate]]\nid = \"alpha\"\nparams = 1e8\n\n[[candidate]]\nid = \"oom\"\nparams = 1e8\n",
        trainer.display()
    );
    fs::write(dir.path().join("plan.toml"), plan).unwrap();
    let (code, out, err) = run(dir.path(), &["run", "plan.toml", "--quiet"]);
    assert_eq!(code, 4, "{out}\n{err}");
    let fail = out
        .lines()
        .position(|l| l.contains("oom|n=") && l.contains("stderr.log"))
        .unwrap_or_else(|| panic!("no failure line naming the run and its log: {out}"));
    let next = out.lines().nth(fail + 1).unwrap();
    assert!(
        next.trim_start()
            .starts_with("its log ends: RuntimeError: CUDA out of memory. Tried to allocate"),
        "{next}"
    );
    let shown = next.trim_start().trim_start_matches("its log ends: ");
    assert!(shown.ends_with('…'), "{shown}");
    assert_eq!(slaw::numbers::display_width(shown), 120, "{shown}");
}
