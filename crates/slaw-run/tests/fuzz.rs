//! Property-based fuzzing of the runner's input surfaces: plan TOML, the
//! command template, and the loss readers (JSON, trainer_state.json, regex
//! on stdout). Each returns a value or an error, never panics.
//! `SLAW_FUZZ_CASES` sets the cases per target (256 by default).

use proptest::prelude::*;
use slaw_run::loss::read_loss;
use slaw_run::plan::{LossSpec, Plan};
use std::path::Path;

fn cases() -> u32 {
    std::env::var("SLAW_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Lines that look like a plan: keys, tables, values, broken quoting.
fn planish() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("target = 1638400".to_string()),
        Just("sizes = [200, 400, 800, 1600]".to_string()),
        Just("command = \"train --model '{model}' --n {n} --out {out}\"".to_string()),
        Just("method = \"ats\"".to_string()),
        Just("ats_k = 0".to_string()),
        Just("ats_delta = nan".to_string()),
        Just("seeds = [1, 1]".to_string()),
        Just("slots = [\"0\", \"0\"]".to_string()),
        Just("[[candidate]]".to_string()),
        Just("id = \"..\"".to_string()),
        Just("id = \"a\"".to_string()),
        Just("model = \"x; touch pwned; #\"".to_string()),
        Just("loss = { file = \"metrics.json\", key = \"eval.loss\" }".to_string()),
        Just("loss = { pattern = \"loss=([0-9.]+)\" }".to_string()),
        Just("[backend]".to_string()),
        Just("kind = \"slurm\"".to_string()),
        Just("slot_env = \"X; rm\"".to_string()),
        "[a-z_]{1,8} = [0-9\"\\[\\]{}a-z,.=-]{0,12}",
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(line, 0..25).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn plans_never_panic(text in planish()) {
        let _ = Plan::parse(Path::new("plan.toml"), &text);
    }

    #[test]
    fn templates_never_panic(t in "[a-z {}'\"$()`#\\\\;|&<>]{0,40}", v in ".{0,20}") {
        let _ = slaw_run::template::check(&t);
        let _ = slaw_run::template::check_shell(&t);
        let _ = slaw_run::template::render(&t, &|_| Some(v.clone()));
    }

    #[test]
    fn loss_readers_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        key in "[a-z_.]{0,12}",
        pattern in "[a-z=()0-9.+*\\[\\]\\\\]{0,16}",
    ) {
        let dir = std::env::temp_dir().join(format!("slaw-run-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("out.json"), &bytes).unwrap();
        std::fs::write(dir.join("stdout.log"), &bytes).unwrap();
        let render = |s: &str| -> Result<String, String> { Ok(s.to_string()) };
        let specs = [
            LossSpec::Json { file: "out.json".into(), key: Some(key.clone()) },
            LossSpec::TrainerState { file: "out.json".into(), key: Some(key) },
            LossSpec::Regex { pattern },
        ];
        for spec in &specs {
            if let Ok(v) = read_loss(spec, &dir, &dir.join("stdout.log"), &render) {
                prop_assert!(v.is_finite());
            }
        }
    }
}
