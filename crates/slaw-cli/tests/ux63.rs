//! ux63: small user-facing defects found by new-user probes.

mod common;

use common::{json_of, run, write};

/// A two-column `n,loss` file from a power law (loss 2 + 30 n^-0.4).
fn two_columns() -> String {
    let mut s = String::from("n,loss\n");
    for k in 0..10 {
        let n = 100.0 * 2f64.powi(k);
        s += &format!("{n},{}\n", 2.0 + 30.0 * n.powf(-0.4));
    }
    s
}

#[test]
fn ux63_fit_and_compare_take_the_only_numeric_column_as_x() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "two.csv", &two_columns());
    let note = "note: x: n (the only numeric column besides loss)";
    // fit: the note on stdout before the report, the fit as with --x n
    let (code, out, err) = run(dir.path(), &["fit", &f, "--law", "power"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(note), "{out}");
    let (code, with_x, _) = run(dir.path(), &["fit", &f, "--law", "power", "--x", "n"]);
    assert_eq!(code, 0);
    assert_eq!(
        out.strip_prefix(note).unwrap().trim_start(),
        with_x.trim_start()
    );
    // beside JSON the note is on stderr, the JSON as with --x n
    let o = common::slaw()
        .args(["fit", &f, "--law", "power", "--json"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains(note));
    let o_x = common::slaw()
        .args(["fit", &f, "--law", "power", "--json", "--x", "n"])
        .output()
        .unwrap();
    assert_eq!(json_of(&o), json_of(&o_x));
    // compare reads the same way (its backtest pick and its hold-out ranking)
    for extra in [&[][..], &["--holdout", "largest:2"][..]] {
        let mut args = vec!["compare", f.as_str(), "--laws", "power,vanilla-ft"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(dir.path(), &args);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(note), "{out}");
        args.extend(["--x", "n"]);
        let (_, with_x, _) = run(dir.path(), &args);
        assert_eq!(
            out.strip_prefix(note).unwrap().trim_start(),
            with_x.trim_start()
        );
    }
}

#[test]
fn ux63_several_candidate_columns_are_listed_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        &dir,
        "runs.csv",
        "model,N,D,loss\na,1e8,2e9,3.1\nb,2e8,4e9,2.9\nc,4e8,8e9,2.7\n",
    );
    for cmd in ["fit", "compare"] {
        let (code, _, err) = run(
            dir.path(),
            &[cmd, &f, "--law", "chinchilla"][..if cmd == "fit" { 4 } else { 2 }],
        );
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("2 numeric columns besides the loss 'loss' could be inputs: N, D")
                && err.contains("with --x"),
            "{cmd}: {err}"
        );
    }
    // a group column is not a candidate: the one left is chosen
    let (code, out, err) = run(dir.path(), &["fit", &f, "--law", "power", "--group", "N"]);
    assert!(
        out.contains("note: x: D (the only numeric column besides loss)"),
        "{code} {out} {err}"
    );
}

/// `allocate --method all` on the example runs: isoflop's and envelope's
/// exponent intervals reach 0, so past the compute they fitted their rows
/// are "?" (not determined by the runs). The N_opt and D_opt figures draw
/// those parts dotted in a faded colour, without a band, with a legend
/// entry; the parametric law's (determined) figure has none of it.
#[test]
fn ux63_allocate_figures_draw_undetermined_growth_dotted_and_faded() {
    let dir = tempfile::tempdir().unwrap();
    let runs = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/scaling_results.csv"
    );
    let allocate = |method: &str, plot: &str| {
        let (code, out, err) = run(
            dir.path(),
            &[
                "allocate",
                runs,
                "--n-col",
                "N",
                "--d-col",
                "D",
                "--flops-col",
                "C",
                "--where",
                "portion_steps_elapsed=1",
                "--best-per-size",
                "--method",
                method,
                "--plot",
                plot,
            ],
        );
        assert_eq!(code, 0, "{err}");
        out
    };
    let text = allocate("all", "all.svg");
    assert!(text.contains("]? (extrap.)"), "the text marks rows: {text}");
    // the palette's first two colours (isoflop, envelope) faded 55% to white
    let faded = |c: [u8; 3]| {
        let f = |v: u8| (v as f64 + 0.55 * (255.0 - v as f64)).round() as u8;
        format!("stroke=\"#{:02X}{:02X}{:02X}\"", f(c[0]), f(c[1]), f(c[2]))
    };
    let (iso, env) = (faded([0, 114, 178]), faded([213, 94, 0]));
    for fig in ["all-nopt.svg", "all-dopt.svg"] {
        let svg = std::fs::read_to_string(dir.path().join(fig)).unwrap();
        assert!(
            texts(&svg)
                .iter()
                .any(|t| t == "not determined by the runs"),
            "{fig}: legend"
        );
        // many short dashes each (a dotted line), in both methods' faded colours
        assert!(svg.matches(&iso).count() > 20, "{fig}: isoflop dotted");
        assert!(svg.matches(&env).count() > 20, "{fig}: envelope dotted");
    }
    // the envelope's band past its runs (N_opt from 48 to 8e14 at 1e25) no
    // longer sets the range: no tick at 1e14 or 1e2 as before
    let svg = std::fs::read_to_string(dir.path().join("all-nopt.svg")).unwrap();
    let ticks = texts(&svg);
    assert!(
        !ticks.iter().any(|t| t == "1e14" || t == "100"),
        "{ticks:?}"
    );
    assert!(ticks.iter().any(|t| t == "1e11"), "{ticks:?}");

    allocate("parametric", "par.svg");
    let svg = std::fs::read_to_string(dir.path().join("par-nopt.svg")).unwrap();
    assert!(texts(&svg)
        .iter()
        .any(|t| t.starts_with("parametric: N_opt")));
    assert!(!svg.contains("not determined by the runs"));
}

/// The texts of an SVG's `<text>` elements, trimmed.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = t.split_once('>')?.1;
            Some(body.split("</text>").next()?.trim().to_string())
        })
        .collect()
}

/// `schedule --optimize-wsd`: the four decay lengths' translucent bands
/// stacked into one muddy colour. Only the lowest predicted final loss's
/// band is filled (in the main plot and the zoom); the others are drawn as
/// their edges, dotted, with a legend entry saying so.
#[test]
fn ux63_what_if_bands_fill_only_the_lowest_final_loss() {
    let dir = tempfile::tempdir().unwrap();
    let runs = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/training_runs.csv"
    );
    let (code, out, err) = run(
        dir.path(),
        &[
            "schedule",
            runs,
            "--run-col",
            "run",
            "--optimize-wsd",
            "peak=3e-4,final=3e-5,warmup=2000",
            "--steps",
            "24000",
            "--decay-fractions",
            "0.05,0.1,0.2,0.3",
            "--plot",
            "w.svg",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("wsd decay 30% (from step 17400), final"),
        "{out}"
    );
    let svg = std::fs::read_to_string(dir.path().join("w.svg")).unwrap();
    let fills: Vec<&str> = svg
        .split("<polygon")
        .skip(1)
        .filter_map(|p| p.split("fill=\"").nth(1)?.split('"').next())
        .collect();
    // one band, in the main plot and again in the zoom
    assert_eq!(fills.len(), 2, "{fills:?}");
    assert_eq!(fills[0], fills[1]);
    // the band is the lowest final's: wsd 30%, the fourth schedule, whose
    // line is drawn in the same colour
    let line = format!("stroke=\"{}\"", fills[0]);
    assert!(svg.matches(&line).count() >= 2, "{line}");
    let t = texts(&svg);
    for want in ["90% interval, lowest final", "90% interval, the others"] {
        assert!(t.iter().any(|x| x == want), "{want}: {t:?}");
    }
}

/// `--report`: the text report's `<pre>` is as wide as its longest line; in
/// print it was cut at the page's edge. The page's print style wraps it.
#[test]
fn ux63_html_report_wraps_the_text_report_in_print() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(&dir, "two.csv", &two_columns());
    let (code, _, err) = run(
        dir.path(),
        &[
            "fit", &f, "--law", "power", "--x", "n", "--report", "r.html",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let page = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert!(page.contains("<pre>"), "the text report");
    let style = page
        .split("<style>")
        .nth(1)
        .and_then(|s| s.split("</style>").next())
        .unwrap();
    let print = style
        .split("@media print{")
        .nth(1)
        .unwrap_or_else(|| panic!("no print rules: {style}"));
    let pre = print
        .split("pre{")
        .nth(1)
        .and_then(|r| r.split('}').next())
        .unwrap_or_else(|| panic!("no pre rule in print: {print}"));
    for rule in [
        "white-space:pre-wrap",
        "overflow-wrap:anywhere",
        "overflow:visible",
    ] {
        assert!(pre.split(';').any(|r| r == rule), "{rule} in {pre}");
    }
    // on screen the report keeps its columns (scrolled, not wrapped)
    let screen = style.split("@media print").next().unwrap();
    assert!(!screen.contains("pre-wrap"), "{screen}");
}
