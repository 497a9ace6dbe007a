//! `compare`'s pick beyond the data (probe53 finding 3): the prediction
//! says how far apart the laws it combines predict (their spread, JSON
//! `laws_range`), and warns when a combined law's prediction leans on
//! parameters its fit does not pin (JSON `depends_on_unpinned`), as `fit`
//! does; the drift correction says it is a prior.

mod common;

use assert_cmd::Command;
use common::json_of;
use std::fs;
use tempfile::TempDir;

/// Twelve points of a broken power law (a = 1.2, b = 20, c0 = 0.2, a break
/// at 1e4) with 1% noise, x = 1e3 .. 1.6e5: the probe's curve, on which the
/// pick predicted 28% low at 16x without a word.
const BNSL: &str = "x,loss\n1000.0,6.296875392558018\n1586.2606242654867,5.848053824226871\n\
2516.222768095131,5.3424049068362915\n3991.3850989096127,4.88790662702785\n\
6331.377018680325,4.453052213842578\n10043.214062112005,4.053729202055163\n\
15931.1550077977,3.5527780239861912\n25270.963887939415,3.1059830662607597\n\
40086.33495267335,2.7744376705840685\n63587.374706543036,2.4557017879230236\n\
100866.14869740432,2.208634776395558\n160000.0,1.9738601099413766\n";

#[test]
fn the_pick_gives_the_laws_spread_and_warns_of_unpinned_laws() {
    let dir = TempDir::new().unwrap();
    let f = dir.path().join("bnsl.csv");
    fs::write(&f, BNSL).unwrap();
    let run = |json: bool| {
        let mut c = Command::cargo_bin("slaw").unwrap();
        c.args(["compare", f.to_str().unwrap(), "--x", "x"]).args([
            "--predict",
            "640000",
            "--predict",
            "50000",
        ]);
        if json {
            c.arg("--json");
        }
        c.output().unwrap()
    };
    let v = json_of(&run(true));
    let beyond = &v["predictions"][0];
    let loss = beyond["loss"].as_f64().unwrap();
    let (lo, hi) = (
        beyond["laws_range"]["lo"].as_f64().unwrap(),
        beyond["laws_range"]["hi"].as_f64().unwrap(),
    );
    // the median of the combined laws lies within their spread
    assert!(lo <= loss && loss <= hi && lo < hi, "{beyond}");
    let lean = beyond["depends_on_unpinned"].as_array().unwrap();
    assert!(!lean.is_empty(), "{beyond}");
    for u in lean {
        assert!(!u["params"].as_array().unwrap().is_empty(), "{u}");
    }
    let out = run(false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(their spread, not an interval)"), "{text}");
    let law = lean[0]["law"].as_str().unwrap();
    assert!(
        text.contains(&format!("warning: {law}'s prediction here depends on")),
        "{text}"
    );
    assert!(
        text.contains("a prior learned on public learning curves"),
        "{text}"
    );
}
