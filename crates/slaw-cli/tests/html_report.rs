//! `--report FILE.html`: the page of `slaw select` and `slaw forecast` is
//! self-contained, loads in a real headless browser (Chromium) with no
//! console message, and its screenshot is not blank and shows the figure.
//!
//! Chromium comes from the distribution's packages (`.ci/run` installs it
//! where missing). Without it the browser part skips with a message, except
//! under `CI=true`, where a missing browser is a failure.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn slaw() -> Command {
    Command::cargo_bin("slaw").unwrap()
}

/// Three candidates drawn from the rectified law, sizes 200 ... 204800.
fn pool_csv() -> String {
    let models = [
        ("fast", 3.0e8, [20.0, 8.0, 0.25, 0.8]),
        ("slow", 1.3e9, [200.0, 60.0, 0.35, 0.6]),
        ("flat", 2.7e9, [6.0, 4.0, 0.18, 1.2]),
    ];
    let mut s = String::from("model,n,loss,size\n");
    for (name, size, [b, dl, beta, e]) in models {
        for k in -1..11 {
            let n: f64 = if k < 0 { 0.0 } else { 200.0 * 2f64.powi(k) };
            let l = b / (dl + n.powf(beta)) + e;
            s += &format!("{name},{n},{l},{size}\n");
        }
    }
    s
}

/// A power-law loss curve with a cosine schedule, 60 logged steps.
fn curve_csv() -> String {
    let mut s = String::from("step,loss,lr\n");
    for k in 1..=60 {
        let t = 100.0 * k as f64;
        let lr = 1e-3 * 0.5 * (1.0 + (std::f64::consts::PI * t / 6000.0).cos());
        let l = 2.0 + 30.0 / t.sqrt() + 0.002 * ((k * 7919 % 13) as f64 - 6.0) / 6.0;
        s += &format!("{t},{l},{lr}\n");
    }
    s
}

fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var("PATH").unwrap_or_default().split(':') {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The page is self-contained: no script, nothing fetched.
fn assert_self_contained(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "the page runs no script");
    for bad in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!html.contains(bad), "the page fetches nothing ({bad})");
    }
    assert!(html.contains("<svg"), "the figure is inline");
    assert!(html.contains("Provenance") && html.contains("SHA-256"));
}

/// Loads the page in headless Chromium and checks its console and its
/// screenshot: not blank, and the figure's data colours are on it.
fn check_in_browser(page: &Path, dir: &Path) {
    let Some(browser) = chromium() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but no Chromium found (chromium, chromium-browser, google-chrome)");
        }
        eprintln!("SKIP: no Chromium on PATH (apt-get install chromium); the page was checked as text only");
        return;
    };
    let shot = dir.join("shot.png");
    let profile = dir.join("profile");
    let out = std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--hide-scrollbars",
            "--window-size=1200,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "chromium failed ({:?}): {log}",
        out.status
    );
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:?}");
    let img = image::open(&shot).expect("a screenshot").to_rgb8();
    let (w, h) = img.dimensions();
    let total = (w * h) as f64;
    let non_white = img
        .pixels()
        .filter(|p| p.0.iter().any(|&c| c < 240))
        .count() as f64;
    assert!(
        non_white / total > 0.02,
        "the screenshot is blank ({:.4} of the pixels are not white)",
        non_white / total
    );
    // The figure's first palette colours (Okabe-Ito blue and vermillion)
    // are drawn: the figure itself rendered, not only the text.
    let near = |p: &image::Rgb<u8>, c: [u8; 3]| {
        p.0.iter()
            .zip(c)
            .all(|(&a, b)| (a as i32 - b as i32).abs() <= 12)
    };
    let coloured = img
        .pixels()
        .filter(|p| near(p, [0, 114, 178]) || near(p, [213, 94, 0]))
        .count();
    assert!(
        coloured > 200,
        "the figure's colours are missing from the screenshot ({coloured} pixels)"
    );
}

#[test]
fn the_select_report_loads_in_a_browser() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("pool.csv"), pool_csv()).unwrap();
    slaw()
        .current_dir(dir.path())
        .args([
            "select", "pool.csv", "--target", "204800", "--budget", "1/32", "--report", "sel.html",
        ])
        .assert()
        .success();
    let page = dir.path().join("sel.html");
    let html = fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    for want in [
        "fast",
        "slow",
        "flat",
        "predicted_loss",
        "pool.csv",
        "--budget",
    ] {
        assert!(html.contains(want), "the page names {want}");
    }
    check_in_browser(&page, dir.path());
}

#[test]
fn the_forecast_report_loads_in_a_browser() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("curve.csv"), curve_csv()).unwrap();
    slaw()
        .current_dir(dir.path())
        .args([
            "forecast",
            "curve.csv",
            "--fit-until",
            "0.5",
            "--report",
            "fc.html",
        ])
        .assert()
        .success();
    let page = dir.path().join("fc.html");
    let html = fs::read_to_string(&page).unwrap();
    assert_self_contained(&html);
    assert!(html.contains("curve.csv"));
    check_in_browser(&page, dir.path());
}

#[test]
fn a_report_path_that_is_not_html_fails_before_any_work() {
    let dir = TempDir::new().unwrap();
    slaw()
        .current_dir(dir.path())
        .args([
            "select",
            "missing.csv",
            "--target",
            "204800",
            "--budget",
            "1/32",
            "--report",
            "sel.pdf",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(".html"));
}

#[test]
fn fit_compare_and_allocate_write_their_pages() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("D,loss\n");
    for k in 0..12 {
        let d = 100.0 * 2f64.powi(k);
        csv += &format!("{d},{}\n", 1.5 + 40.0 * d.powf(-0.3));
    }
    fs::write(dir.path().join("c.csv"), csv).unwrap();
    let run = |args: &[&str]| {
        slaw().current_dir(dir.path()).args(args).assert().success();
    };
    run(&[
        "fit", "c.csv", "--law", "power", "--x", "D", "--y", "loss", "--report", "fit.html",
    ]);
    run(&[
        "compare",
        "c.csv",
        "--laws",
        "power,reciprocal",
        "--x",
        "D",
        "--y",
        "loss",
        "--report",
        "cmp.html",
    ]);
    run(&[
        "allocate",
        "--params",
        "406.4,0.34,410.7,0.28,1.69",
        "--report",
        "alloc.html",
    ]);
    let fit = fs::read_to_string(dir.path().join("fit.html")).unwrap();
    assert_self_contained(&fit);
    assert!(fit.contains("slaw fit c.csv (power)"));
    let cmp = fs::read_to_string(dir.path().join("cmp.html")).unwrap();
    assert!(cmp.contains("<th>law</th>") && cmp.contains("reciprocal"));
    let alloc = fs::read_to_string(dir.path().join("alloc.html")).unwrap();
    assert!(alloc.contains("<table>") && alloc.contains("n_opt"));
}
