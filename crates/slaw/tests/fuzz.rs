//! Property-based fuzzing of the input surfaces: tables (CSV, TSV, JSON
//! lines, JSON arrays, any bytes), formula laws (parse and evaluate), and the
//! readers that turn tables into observations. Each must return a value or
//! an error, never panic or abort. `SLAW_FUZZ_CASES` sets the number of cases
//! per target (256 by default; the 10-minute run in README used 200000).

use proptest::prelude::*;
use slaw::law::formula::formula_law;
use slaw::table::Table;

fn cases() -> u32 {
    std::env::var("SLAW_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Text that looks like a table: header-ish lines, numbers, quotes,
/// separators, blank lines, JSON fragments.
fn tableish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("x".to_string()),
        Just("loss".to_string()),
        Just(",".to_string()),
        Just("\t".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\"".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(":".to_string()),
        Just("\u{feff}".to_string()),
        Just("1e-400".to_string()),
        Just("1e400".to_string()),
        Just("nan".to_string()),
        Just("-0".to_string()),
        "-?[0-9]{1,6}(\\.[0-9]{0,4})?(e-?[0-9]{1,3})?",
        "[a-z ]{0,5}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(token, 0..60).prop_map(|v| v.concat())
}

/// Text that looks like a formula.
fn formulaish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("A".to_string()),
        Just("B".to_string()),
        Just("x".to_string()),
        Just("+".to_string()),
        Just("-".to_string()),
        Just("*".to_string()),
        Just("/".to_string()),
        Just("^".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("exp(".to_string()),
        Just("ln(".to_string()),
        Just("log(".to_string()),
        Just("sqrt(".to_string()),
        Just(",".to_string()),
        Just(" ".to_string()),
        "[0-9]{1,3}(\\.[0-9]{1,2})?(e-?[0-9]{1,3})?",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(token, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn tables_never_panic(text in tableish(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let parsed = [
            Table::from_delimited("f.csv", &text, b','),
            Table::from_delimited("f.tsv", &text, b'\t'),
            Table::from_json_lines("f.jsonl", &text),
            Table::from_json("f.json", &text),
        ];
        for t in parsed.into_iter().flatten() {
            // Every cell as a number: a value or a located error.
            for r in 0..t.len() {
                for c in 0..t.columns.len() {
                    if let Ok(v) = t.number(r, c) {
                        prop_assert!(v.is_finite());
                    }
                }
            }
        }
        // Raw bytes through the file reader (format by content).
        let dir = std::env::temp_dir().join(format!("slaw-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("in");
        std::fs::write(&p, &bytes).unwrap();
        let _ = Table::read(&p);
        std::fs::write(&p, text.as_bytes()).unwrap();
        let _ = Table::read(&p);
    }

    #[test]
    fn observations_never_panic(text in tableish()) {
        let dir = std::env::temp_dir().join(format!("slaw-fuzz-obs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("in.csv");
        std::fs::write(&p, format!("x,loss\n{text}")).unwrap();
        let cols = slaw::observations::Columns {
            x: vec!["x".into()],
            y: "loss".into(),
            ..Default::default()
        };
        let table = Table::read(&p);
        if let Ok(obs) = table.and_then(|t| slaw::observations::Observations::from_table(&t, &cols)) {
            for v in obs.y.iter() {
                prop_assert!(v.is_finite());
            }
        }
        let _ = slaw::datasets::finetune_wide(&p);
        let p2 = dir.join("curve.csv");
        std::fs::write(&p2, format!("step,loss,lr\n{text}")).unwrap();
        if let Ok(runs) = slaw::forecast::curve::Curve::read_runs(&p2, "step", "loss", Some("lr"), None) {
            for c in runs {
                prop_assert!(c.loss.iter().all(|v| v.is_finite()));
            }
        }
    }

    #[test]
    fn formulas_never_panic(f in formulaish(), x in -1e3f64..1e6, a in -10f64..10.0, b in -10f64..10.0) {
        let law = formula_law(&f, &["x".to_string()], &["A".to_string(), "B".to_string()], &[]);
        if let Ok(law) = law {
            // A value or NaN, never a panic.
            let _ = law.predict(&[x], &[a, b]);
        }
    }
}
