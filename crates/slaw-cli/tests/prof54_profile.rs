//! prof54: `slaw fit --profile`: the profile-likelihood intervals beside the
//! standard errors, an open side said in the text and the JSON, and the
//! parameter with an open side reported loosely determined.

mod common;

use common::{json_of, slaw};
use std::path::PathBuf;

/// A rectified curve still in its pre-power phase (B 40, D_l 200, beta
/// 0.45, E 1.3; D from 1e3 to 1.6e5, 1% log-normal noise, seed 6 of
/// probe53's generator): the floor E = 1.42 +/- 0.01 the standard errors
/// give lies 12 of them from the truth.
fn prepower() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/prof54_rectified_prepower.csv")
        .display()
        .to_string()
}

#[test]
fn profile_intervals_say_an_open_side_in_text_and_json() {
    let f = prepower();
    let args = ["fit", f.as_str(), "--law", "rectified", "--x", "x"];
    let out = slaw()
        .args(args)
        .args(["--profile", "--json"])
        .output()
        .unwrap();
    let v = json_of(&out);
    let g = &v["groups"][0];
    let p = &g["profile"];
    assert_eq!(p["level"], 0.95);
    assert!(p["refits"].as_u64().unwrap() > 0);
    let e = &p["params"]["E"];
    // E's profile: open below (the objective never rises enough down to
    // the floor's bound), closed above the estimate
    assert_eq!(e["lo_open"], true, "{e}");
    assert_eq!(e["hi_open"], false, "{e}");
    let est = g["fit"]["params"]["E"].as_f64().unwrap();
    let hi = e["hi"].as_f64().unwrap();
    assert!(hi > est, "{e} against {est}");
    // and E is reported loosely determined (it is pinned by the curvature)
    let id = &g["fit"]["identifiability"];
    let listed = |k: &str| id[k].as_array().unwrap().iter().any(|n| n == "E");
    assert!(listed("loose") || listed("unidentified"), "{id}");
    assert!(g["fit"]["warnings"].as_array().unwrap().iter().any(|w| w
        .as_str()
        .unwrap()
        .contains("open for")
        && w.as_str().unwrap().contains("E (below)")));

    // the text: a profile column, "open" on E's lower side, the mark
    let out = slaw().args(args).arg("--profile").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("E "))
        .unwrap();
    assert!(line.contains("profile [open, "), "{line}");
    assert!(
        line.contains("loosely determined: profile interval open below"),
        "{line}"
    );
    assert!(line.contains("+/- is local"), "{line}");
    assert!(text.contains("95% profile-likelihood intervals"), "{text}");

    // without --profile: no profile field, no column
    let out = slaw().args(args).arg("--json").output().unwrap();
    let v = json_of(&out);
    assert!(v["groups"][0].get("profile").is_none());
    let out = slaw().args(args).output().unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains("profile ["));
}
