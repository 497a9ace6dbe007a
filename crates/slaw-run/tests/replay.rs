//! The scheduler replayed on loss tables: synthetic curves with a known
//! truth (adaptive AtS and successive halving keep the ranking and run less)
//! and the real selection benchmark in ../shared/data (skipped when absent).

use slaw::datasets::Candidate;
use slaw_run::plan::RunSpec;
use slaw_run::replay::{bench, replay, Mode};
use slaw_run::Plan;
use std::path::Path;

/// A rectified curve B / (Dl + n^beta) + E with a small deterministic wiggle.
fn curve(b: f64, dl: f64, beta: f64, e: f64, wiggle: f64) -> Vec<(f64, f64)> {
    (0..15)
        .map(|k| {
            let n = if k == 0 {
                0.0
            } else {
                200.0 * 2f64.powi(k - 1)
            };
            let l = b / (dl + n.powf(beta)) + e;
            (n, l * (1.0 + wiggle * ((k * 7 % 5) as f64 - 2.0)))
        })
        .collect()
}

fn pool() -> Vec<Candidate> {
    // (B, Dl, beta, E): a leader, a close second and clearly worse models.
    let specs = [
        ("lead", 60.0, 30.0, 0.45, 1.00),
        ("close", 55.0, 25.0, 0.44, 1.03),
        ("worse1", 40.0, 20.0, 0.40, 1.80),
        ("worse2", 35.0, 60.0, 0.42, 2.10),
        ("worse3", 30.0, 10.0, 0.38, 2.40),
    ];
    specs
        .iter()
        .map(|&(id, b, dl, beta, e)| Candidate {
            id: id.into(),
            curve: curve(b, dl, beta, e, 0.002),
            size: Some(1e9),
            family: None,
        })
        .collect()
}

const FULL: f64 = 1_638_400.0;

#[test]
fn successive_halving_drops_the_clearly_worse_and_keeps_the_order() {
    let pool = pool();
    let rows = bench("synthetic", &pool, FULL, &[8, 64], Some("ats"), &[]).unwrap();
    for r in [8, 64] {
        let row = |m: Mode| rows.iter().find(|x| x.ratio == r && x.mode == m).unwrap();
        let (fixed, adaptive, drop) = (row(Mode::Fixed), row(Mode::Adaptive), row(Mode::DropWorse));
        assert_eq!(fixed.runs, fixed.fixed_runs);
        assert!(
            adaptive.runs < fixed.runs,
            "1/{r}: {} vs {}",
            adaptive.runs,
            fixed.runs
        );
        assert!(
            drop.runs < adaptive.runs,
            "1/{r}: {} vs {}",
            drop.runs,
            adaptive.runs
        );
        assert!(drop.compute_vs_fixed < adaptive.compute_vs_fixed);
        // Only the clearly worse models are dropped, and every model is ranked.
        assert!(
            drop.dropped >= 1 && drop.dropped <= 3,
            "1/{r}: {}",
            drop.dropped
        );
        for x in [fixed, adaptive, drop] {
            assert_eq!(x.unranked, 0);
            assert_eq!(x.chosen, "lead", "1/{r} {:?}", x.mode);
            assert!(x.pear_corr > 0.95, "1/{r} {:?}: {}", x.mode, x.pear_corr);
        }
        // Cheapest sizes first: the clearly worse stop early, the leader is
        // still chosen, at a fraction of the ladder's compute.
        let asc = row(Mode::Ascending);
        assert_eq!(asc.chosen, "lead", "1/{r}");
        assert_eq!(asc.unranked, 0);
        assert!(asc.dropped >= 1, "1/{r}: {}", asc.dropped);
        assert!(
            asc.compute_vs_fixed < 0.9,
            "1/{r}: {}",
            asc.compute_vs_fixed
        );
    }
}

#[test]
fn ascending_plans_need_successive_halving() {
    let text = "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\nascending = true\n[[candidate]]\nid = \"a\"\n";
    let e = Plan::parse(Path::new("p.toml"), &format!("drop_worse = false\n{text}")).unwrap_err();
    assert!(e.to_string().contains("ascending"), "{e}");
    let ok = Plan::parse(Path::new("p.toml"), text).unwrap();
    assert!(ok.ascending && ok.drop_worse);
    let fixed = Plan::parse(Path::new("p.toml"), &format!("adaptive = false\n{text}"));
    assert!(fixed.is_err(), "ascending needs adaptive");
}

#[test]
fn replay_answers_from_the_table_and_names_missing_runs() {
    let pool = pool();
    let text =
        "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\n\
                [[candidate]]\nid = \"lead\"\n[[candidate]]\nid = \"worse1\"\n";
    let plan = Plan::parse(Path::new("p.toml"), text).unwrap();
    let out = replay(&plan, &|s: &RunSpec| {
        pool[[0, 2][s.candidate]].loss_at(s.n as f64)
    })
    .unwrap();
    assert!(out.waves >= 4);
    let st = &out.decision.candidates[0];
    assert!(st.points.len() >= 4);
    for &(n, l) in &st.points {
        assert_eq!(Some(l), pool[0].loss_at(n));
    }
    let missing = replay(&plan, &|s: &RunSpec| (s.n > 30_000).then_some(1.0)).unwrap_err();
    assert!(
        missing.to_string().contains("no loss for run lead|n="),
        "{missing}"
    );
}

#[test]
fn real_benchmark_adaptive_keeps_the_fixed_ladders_selection() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/finetune-selection");
    if !dir.exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{} not found: under CI the shared data sets must sit beside the repository",
            dir.display()
        );
        eprintln!("SKIPPED: {} is absent", dir.display());
        return;
    }
    for f in slaw_report::bench::wide_csvs(&dir).unwrap() {
        let pool = slaw::datasets::finetune_wide(&f).unwrap();
        let rows = bench(
            "real",
            &pool,
            FULL,
            &slaw::selection::protocol::RATIOS,
            Some("ats"),
            &[],
        )
        .unwrap();
        // The fixed ladder replayed through the runner is the paper's protocol.
        let ats = slaw::selection::Method::parse("ats", 3, 5.0).unwrap();
        let protocol = slaw::selection::protocol::run("real", &pool, &[ats]).unwrap();
        for r in slaw::selection::protocol::RATIOS {
            let row = |m: Mode| rows.iter().find(|x| x.ratio == r && x.mode == m).unwrap();
            let (fixed, adaptive, drop) =
                (row(Mode::Fixed), row(Mode::Adaptive), row(Mode::DropWorse));
            let name = f.display();
            let p = protocol.iter().find(|x| x.ratio == r).unwrap();
            assert!((fixed.pear_corr - p.pear_corr).abs() < 1e-9, "{name} 1/{r}");
            assert!((fixed.rel_acc - p.rel_acc).abs() < 1e-9, "{name} 1/{r}");
            // AtS ignores the points below the transition: stopping there
            // changes nothing in the selection, with fewer runs.
            assert!(adaptive.runs < fixed.runs, "{name} 1/{r}");
            assert!(
                (adaptive.pear_corr - fixed.pear_corr).abs() < 1e-9,
                "{name} 1/{r}"
            );
            assert_eq!(adaptive.chosen, fixed.chosen, "{name} 1/{r}");
            // Successive halving never drops the model the ladder would choose.
            assert!(drop.runs <= adaptive.runs, "{name} 1/{r}");
            assert_eq!(drop.chosen, fixed.chosen, "{name} 1/{r}");
            assert_eq!(drop.unranked, 0, "{name} 1/{r}");
        }
        // Spending where it decides: at equal total compute the ascending
        // runner's choice is never worse on average over the budgets, and
        // not worse by more than one candidate's gap at any budget
        // (BENCHMARKS.md, "equal total compute").
        let mut ratios = vec![2, 4];
        ratios.extend(slaw::selection::protocol::RATIOS);
        let all = bench(
            "real",
            &pool,
            FULL,
            &ratios,
            Some(slaw::selection::Method::DEFAULT.name()),
            &[],
        )
        .unwrap();
        let eq = slaw_run::replay::equal_compute(&all);
        let eq: Vec<_> = eq.iter().filter(|e| e.fixed_ratio >= 8).collect();
        let mean = |f: &dyn Fn(&slaw_run::replay::EqualCompute) -> f64| {
            eq.iter().map(|e| f(e)).sum::<f64>() / eq.len() as f64
        };
        let (fixed, asc) = (mean(&|e| e.fixed_rel_acc), mean(&|e| e.ascending_rel_acc));
        eprintln!(
            "{}: RelAcc at equal compute: fixed {fixed:.4}, ascending {asc:.4}",
            f.display()
        );
        assert!(asc >= fixed - 1e-9, "{}: {asc} vs {fixed}", f.display());
        for e in &eq {
            assert!(e.ascending_compute <= e.fixed_compute + 1e-12);
            assert!(
                e.ascending_rel_acc >= e.fixed_rel_acc - 0.01,
                "{} 1/{}: {e:?}",
                f.display(),
                e.fixed_ratio
            );
        }
        // A plan with the default method ranks and chooses exactly as
        // `slaw select` does on the same measurements (pool-adapted trend,
        // calibrated intervals, the robust choice): with the zero-shot
        // evaluations (the table has every N = 0 loss, so the replayed plans
        // set zero_shot = true) on the whole curves, and without them on the
        // curves without their zero-shot point (ats-gap then ranks as
        // ats-trend).
        let default = slaw::selection::Method::DEFAULT;
        let measured: Vec<slaw::datasets::Candidate> = pool
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.curve.retain(|p| p.0 > 0.0);
                c
            })
            .collect();
        let opts = slaw::selection::protocol::ProtocolOptions {
            level: Some(0.9),
            ..Default::default()
        };
        let mut firsts = Vec::new();
        for (curves, label) in [(&pool, "with zero-shot"), (&measured, "without")] {
            let rows = bench(
                "real",
                curves,
                FULL,
                &slaw::selection::protocol::RATIOS,
                Some(default.name()),
                &[],
            )
            .unwrap();
            let protocol =
                slaw::selection::protocol::run_with("real", curves, &[default], &opts, &())
                    .unwrap();
            let mut pear = Vec::new();
            for r in slaw::selection::protocol::RATIOS {
                let fixed = rows
                    .iter()
                    .find(|x| x.ratio == r && x.mode == Mode::Fixed)
                    .unwrap();
                let p = protocol.iter().find(|x| x.ratio == r).unwrap();
                let name = format!("{} {label} 1/{r}", f.display());
                assert!((fixed.pear_corr - p.pear_corr).abs() < 1e-9, "{name}");
                assert!((fixed.rel_acc - p.rel_acc).abs() < 1e-9, "{name}");
                assert_eq!(fixed.chosen, p.chosen, "{name}");
                pear.push(fixed.pear_corr);
            }
            // The zero-shot runs are the plan's: 30 more runs, no examples.
            let fixed = rows.iter().find(|x| x.mode == Mode::Fixed).unwrap();
            firsts.push((fixed.runs, fixed.compute_vs_full, pear));
        }
        let ((runs_zs, cost_zs, pear_zs), (runs, cost, pear)) = (&firsts[0], &firsts[1]);
        assert_eq!(*runs_zs, runs + pool.len(), "{}", f.display());
        assert!((cost_zs - cost).abs() < 1e-12, "{}", f.display());
        // The gap trend reads the zero-shot loss: the correlations differ.
        let differ = pear_zs
            .iter()
            .zip(pear)
            .filter(|(a, b)| (*a - *b).abs() > 1e-6)
            .count();
        assert!(
            differ > 0,
            "{}: the zero-shot runs changed nothing",
            f.display()
        );
    }
}

/// A plan naming the other datasets of the folder as references ranks with
/// ats-ref (its default then) exactly as the leave-one-dataset-out protocol
/// does with the same references: the fixed ladder replayed gives the
/// protocol's PearCorr, RelAcc and choice at every budget.
#[test]
fn real_benchmark_a_plans_references_rank_as_the_protocols() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/finetune-selection");
    if !dir.exists() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{} not found: under CI the shared data sets must sit beside the repository",
            dir.display()
        );
        eprintln!("SKIPPED: {} is absent", dir.display());
        return;
    }
    let files = slaw_report::bench::wide_csvs(&dir).unwrap();
    let ats_ref = slaw::selection::Method::parse("ats-ref", 3, 5.0).unwrap();
    let opts = slaw::selection::protocol::ProtocolOptions {
        level: Some(0.9),
        ..Default::default()
    };
    for f in &files {
        let pool = slaw::datasets::finetune_wide(f).unwrap();
        let others: Vec<std::path::PathBuf> = files.iter().filter(|g| *g != f).cloned().collect();
        let refs: Vec<slaw::selection::Reference> = others
            .iter()
            .map(|g| slaw::selection::Reference::of(&slaw::datasets::finetune_wide(g).unwrap()))
            .collect();
        let rows = bench(
            "real",
            &pool,
            FULL,
            &slaw::selection::protocol::RATIOS,
            None,
            &others,
        )
        .unwrap();
        let plain = bench(
            "real",
            &pool,
            FULL,
            &slaw::selection::protocol::RATIOS,
            None,
            &[],
        )
        .unwrap();
        let protocol = slaw::selection::protocol::run_with_references(
            "real",
            &pool,
            &[ats_ref],
            &opts,
            &refs,
            &(),
        )
        .unwrap();
        let mut differ = 0;
        for r in slaw::selection::protocol::RATIOS {
            let fixed = |rows: &[slaw_run::replay::BenchRow]| {
                rows.iter()
                    .find(|x| x.ratio == r && x.mode == Mode::Fixed)
                    .unwrap()
                    .clone()
            };
            let (with, without) = (fixed(&rows), fixed(&plain));
            let p = protocol.iter().find(|x| x.ratio == r).unwrap();
            let name = format!("{} 1/{r}", f.display());
            assert!((with.pear_corr - p.pear_corr).abs() < 1e-9, "{name}");
            assert!((with.rel_acc - p.rel_acc).abs() < 1e-9, "{name}");
            assert_eq!(with.chosen, p.chosen, "{name}");
            if (with.pear_corr - without.pear_corr).abs() > 1e-6 {
                differ += 1;
            }
        }
        // The references are read: the correlations move.
        assert!(
            differ > 0,
            "{}: the references changed nothing",
            f.display()
        );
    }
}

/// A plan's `reference`: resolved beside the plan, rows matched by the
/// candidate's `model` or id, the default method becomes ats-ref, and a bad
/// reference is an error naming the plan's key and the table.
#[test]
fn a_plans_reference_is_checked_and_makes_ats_ref_the_default() {
    let dir = tempfile::TempDir::new().unwrap();
    let write = |name: &str, rows: &[(&str, f64, f64)]| {
        let mut t = String::from("model,n,loss\n");
        for (m, n, l) in rows {
            t += &format!("{m},{n},{l}\n");
        }
        std::fs::write(dir.path().join(name), t).unwrap();
    };
    write(
        "earlier.csv",
        &[
            ("org/a", 200.0, 3.0),
            ("org/a", FULL, 1.0),
            ("b", 200.0, 3.1),
            ("b", FULL, 1.2),
        ],
    );
    write("other.csv", &[("zz", 200.0, 3.0), ("zz", FULL, 1.0)]);
    write("short.csv", &[("b", 200.0, 3.0), ("b", 400.0, 2.9)]);
    let body =
        "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\n";
    let cands = "[[candidate]]\nid = \"a\"\nmodel = \"org/a\"\n[[candidate]]\nid = \"b\"\n";
    let path = dir.path().join("p.toml");
    let parse = |head: &str| Plan::parse(&path, &format!("{head}{body}{cands}"));
    let plan = parse("reference = [\"earlier.csv\"]\n").unwrap();
    assert_eq!(plan.method.name(), "ats-ref");
    assert_eq!(plan.reference, vec![dir.path().join("earlier.csv")]);
    assert_eq!(plan.references.len(), 1);
    assert!(plan.references[0].has("a") && plan.references[0].has("b"));
    assert!(!plan.references[0].has("org/a"));
    let text = slaw_run::report::plan_report(&plan, false);
    assert!(
        text.contains("earlier.csv: 2 of 2 candidates matched by name (read by ats-ref)"),
        "{text}"
    );
    let none = parse("").unwrap();
    assert_eq!(none.method, slaw::selection::Method::DEFAULT);
    assert!(none.references.is_empty());
    let msg = |head: &str| parse(head).unwrap_err().to_string();
    let m = msg("method = \"ats\"\nreference = [\"earlier.csv\"]\n");
    assert!(
        m.contains("line 2")
            && m.contains("reference: is read by ats-ref only")
            && m.ends_with("not by ats"),
        "{m}"
    );
    let m = msg("reference = [\"other.csv\"]\n");
    assert!(
        m.contains("other.csv: no row matches a candidate of") && m.contains("p.toml"),
        "{m}"
    );
    let m = msg("reference = [\"short.csv\"]\n");
    assert!(
        m.contains("short.csv: model 'b' has no loss at or beyond the target 1638400"),
        "{m}"
    );
    let m = msg("reference = [\"missing.csv\"]\n");
    assert!(
        m.contains("reference: ") && m.contains("missing.csv"),
        "{m}"
    );
}

/// A plan's reference is tested against the measured pool as `slaw select`
/// tests it: the same twelve models on another task pass and are used, the
/// same rows under reversed names fail and are named in a warning
/// (`Summary::warnings`, printed under the ranking).
#[test]
fn a_plans_reference_that_does_not_match_is_named() {
    let dir = tempfile::TempDir::new().unwrap();
    let params = |i: usize, other: bool| {
        let (b, dl) = (
            20.0 + 15.0 * ((i * 5) % 12) as f64,
            8.0 + 5.0 * (i % 4) as f64,
        );
        let (beta, e) = (0.2 + 0.02 * ((i * 7) % 12) as f64, 0.6 + 0.05 * i as f64);
        if other {
            (0.5 * b, dl, 1.1 * beta, 0.8 * e)
        } else {
            (b, dl, beta, e)
        }
    };
    let loss = |(b, dl, beta, e): (f64, f64, f64, f64), n: f64| b / (dl + n.powf(beta)) + e;
    for (file, reversed) in [("earlier.csv", false), ("reversed.csv", true)] {
        let mut t = String::from("model,n,loss\n");
        for i in 0..12 {
            let name = if reversed { 11 - i } else { i };
            for k in 0..14 {
                let n = 200.0 * 2f64.powi(k);
                t += &format!("m{name},{n},{}\n", loss(params(i, true), n));
            }
        }
        std::fs::write(dir.path().join(file), t).unwrap();
    }
    let body = "full_size = 1638400\nbudget = \"1/64\"\nmin_size = 200\nadaptive = false\n\
                command = \"x {model} {n}\"\nloss = { kind = \"regex\", pattern = \"l=(.+)\" }\n";
    let cands: String = (0..12)
        .map(|i| format!("[[candidate]]\nid = \"m{i}\"\n"))
        .collect();
    let path = dir.path().join("p.toml");
    for (file, fails) in [("earlier.csv", false), ("reversed.csv", true)] {
        let plan = Plan::parse(&path, &format!("reference = [\"{file}\"]\n{body}{cands}")).unwrap();
        let out = replay(&plan, &|s: &RunSpec| {
            Some(loss(params(s.candidate, false), s.n as f64))
        })
        .unwrap();
        let w = slaw_run::scheduler::rank_with_warnings(&plan, &out.decision.candidates).1;
        if fails {
            assert_eq!(w.len(), 1, "{w:?}");
            assert!(
                w[0].contains("reversed.csv) does not match the pool") && w[0].contains("p = "),
                "{w:?}"
            );
        } else {
            assert!(w.is_empty(), "{w:?}");
        }
        let text = slaw_run::report::ranking_report(&plan, &[], &w, None, &[]);
        assert_eq!(text.contains("warning: reference 1"), fails, "{text}");
    }
}

/// A candidate's bootstrap interval (a law-fit method) does not depend on
/// where it stands in the plan: it draws from the seed and its name, as in
/// `slaw select`.
#[test]
fn a_candidates_bootstrap_interval_does_not_depend_on_its_place_in_the_plan() {
    let pool = pool();
    let head =
        "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\nmethod = \"rectified-fit\"\n\
                adaptive = false\nbootstrap = 50\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\n";
    let interval_of_lead = |order: [usize; 2]| {
        let ids: String = order
            .iter()
            .map(|&i| format!("[[candidate]]\nid = \"{}\"\n", pool[i].id))
            .collect();
        let plan = Plan::parse(Path::new("p.toml"), &format!("{head}{ids}")).unwrap();
        let out = replay(&plan, &|s: &RunSpec| {
            pool[order[s.candidate]].loss_at(s.n as f64)
        })
        .unwrap();
        let lead = out.ranking.iter().find(|r| r.id == "lead").unwrap();
        let iv = lead.estimate.as_ref().unwrap().interval.unwrap();
        (iv.lo, iv.hi)
    };
    let first = interval_of_lead([0, 2]);
    let second = interval_of_lead([2, 0]);
    assert!(first.0 < first.1, "{first:?}");
    assert_eq!(first, second);
}

#[test]
fn plans_default_to_the_selection_default() {
    let text =
        "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\n[[candidate]]\nid = \"a\"\n";
    let plan = Plan::parse(Path::new("p.toml"), text).unwrap();
    assert_eq!(plan.method, slaw::selection::Method::DEFAULT);
    assert_eq!(plan.level, 0.9);
    // Halving from the top is free only for AtS (it never uses the points
    // below the phase transition): the default method runs ascending.
    assert!(plan.adaptive && plan.ascending && plan.drop_worse);
    let ats = Plan::parse(Path::new("p.toml"), &format!("method = \"ats\"\n{text}")).unwrap();
    assert!(ats.adaptive && !ats.ascending && !ats.drop_worse);
    let fixed = Plan::parse(Path::new("p.toml"), &format!("adaptive = false\n{text}")).unwrap();
    assert!(!fixed.ascending && !fixed.drop_worse);
    let bad = Plan::parse(Path::new("p.toml"), &format!("level = 1.5\n{text}")).unwrap_err();
    assert!(bad.to_string().contains("level"), "{bad}");
}

#[test]
fn zero_shot_runs_go_first_and_gate_nothing() {
    let pool = pool();
    let mut text = String::from(
        "full_size = 1638400\nbudget = \"1/64\"\nmin_size = 200\nzero_shot = true\n\
         command = \"x {model} {n}\"\nloss = { kind = \"regex\", pattern = \"l=(.+)\" }\n",
    );
    for c in &pool {
        text += &format!("[[candidate]]\nid = \"{}\"\nparams = 1e9\n", c.id);
    }
    let plan = Plan::parse(Path::new("p.toml"), &text).unwrap();
    assert!(plan.zero_shot && plan.method.reads_zero_shot());
    assert_eq!(plan.sizes().last(), Some(&0.0));
    // The first wave: every candidate's zero-shot evaluation, before its
    // smallest ladder size (the default method runs ascending).
    // The sizes a decision launches for candidate k, in its order.
    let launched = |d: &slaw_run::scheduler::Decision, k: usize| -> Vec<u64> {
        d.launch
            .iter()
            .filter(|r| r.candidate == k)
            .map(|r| r.n)
            .collect()
    };
    let d = slaw_run::scheduler::decide(&plan, &[], &[]);
    for k in 0..pool.len() {
        assert_eq!(launched(&d, k), vec![0, 200], "candidate {k}");
    }
    // The zero-shot runs cost nothing in examples.
    assert_eq!(
        plan.cost(&RunSpec {
            candidate: 0,
            n: 0,
            seed: 0
        }),
        0.0
    );
    // With every zero-shot loss, each candidate's points start at n = 0.
    let out = replay(&plan, &|s: &RunSpec| pool[s.candidate].loss_at(s.n as f64)).unwrap();
    assert!(out.ranking.iter().all(|r| r.estimate.is_some()));
    for st in &out.decision.candidates {
        assert!(st.points.iter().any(|p| p.0 == 0.0), "{}", st.id);
    }
    // A failed zero-shot run (the command cannot evaluate without training)
    // stops nothing: the ladder goes on, and the failure is listed.
    let failed: Vec<slaw_run::journal::Record> = (0..pool.len())
        .map(|k| {
            let spec = RunSpec {
                candidate: k,
                n: 0,
                seed: 0,
            };
            slaw_run::journal::Record {
                id: plan.run_id(&spec),
                candidate: pool[k].id.clone(),
                n: 0,
                seed: 0,
                state: slaw_run::journal::State::Failed,
                attempts: 1,
                owner: None,
                handle: None,
                exit_status: Some(1),
                loss: None,
                duration: Some(0.0),
                log_path: None,
                reason: Some("non-zero exit 1".into()),
                started: None,
                slot: None,
                granted: 0,
                inputs: None,
            }
        })
        .collect();
    let d = slaw_run::scheduler::decide(&plan, &failed, &[]);
    for (k, st) in d.candidates.iter().enumerate() {
        assert_eq!(launched(&d, k), vec![200], "candidate {k}");
        assert_eq!(st.failed.len(), 1);
        assert!(st.stopped.is_none());
    }
    // The plan report says what the zero-shot runs are; without them, it
    // says what the default method misses.
    let report = slaw_run::report::plan_report(&plan, false);
    assert!(report.contains("runs at n = 0"), "{report}");
    let without =
        Plan::parse(Path::new("p.toml"), &text.replace("zero_shot = true\n", "")).unwrap();
    assert!(!without.zero_shot);
    let report = slaw_run::report::plan_report(&without, false);
    assert!(
        report.contains("reads the zero-shot loss") && report.contains("zero_shot = true"),
        "{report}"
    );
    assert_eq!(
        without.fixed_ladder().len() + pool.len(),
        plan.fixed_ladder().len()
    );
}

/// The runner's ranking gives the caveats `slaw select` gives on the same
/// points, from one library function (`slaw::selection::ranking_caveats`):
/// a candidate without points is named as not ranked, a loss of 1e9 among
/// losses near 2 is named, and each `*` (a prediction outside its interval)
/// is select's (probe44 item 2: the runner printed none of them).
#[test]
fn the_runners_ranking_warns_and_marks_as_select_does_on_the_same_points() {
    let head = "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\nlevel = 0.8\n\
                adaptive = false\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\n";
    let ids: String = ["c0", "c1", "c2", "c3", "c4", "broken"]
        .iter()
        .map(|id| format!("[[candidate]]\nid = \"{id}\"\n"))
        .collect();
    let plan = Plan::parse(Path::new("p.toml"), &format!("{head}{ids}")).unwrap();
    // Curves that steepen (ats-gap's score of c4 leaves ats-trend's
    // interval), and c4's trainer wrote one loss of 1e9.
    let out = replay(&plan, &|s: &RunSpec| {
        let (x, i) = ((s.n as f64 / 100.0).ln(), s.candidate as f64);
        Some(match s.candidate {
            4 if s.n == 800 => 1e9,
            4 => 2.5 - 0.06 * x,
            _ => 3.0 + 0.1 * i - (0.05 + 0.02 * i) * x - 0.0005 * x.powi(3) * (1.0 + i),
        })
    })
    .unwrap();
    // Every run of "broken" failed: no points.
    let mut status = out.decision.candidates.clone();
    status
        .iter_mut()
        .find(|c| c.id == "broken")
        .unwrap()
        .points
        .clear();
    let (ranking, warnings) = slaw_run::scheduler::rank_with_warnings(&plan, &status);
    let sel = select_as_slaw_select(&plan, &status);
    assert_eq!(warnings, sel.warnings);
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("1 of 6 candidates could not be scored")
                && w.contains("(broken)")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("candidate 'c4': the loss 1e9 at size 800")),
        "{warnings:?}"
    );
    for r in &sel.ranking {
        let ours = ranking.iter().find(|c| c.id == r.estimate.id).unwrap();
        assert_eq!(
            ours.prediction_outside_interval, r.prediction_outside_interval,
            "{}",
            r.estimate.id
        );
    }
    // The text prints them as select does.
    let text = slaw_run::report::ranking_report(&plan, &ranking, &warnings, None, &[]);
    for w in &warnings {
        assert!(text.contains(&format!("warning: {w}")), "{text}");
    }
    let outside = ranking
        .iter()
        .filter(|c| c.prediction_outside_interval)
        .count();
    assert!(outside > 0, "{text}");
    assert!(
        text.contains(&format!(
            "* {outside} of 5 scores lie outside their interval"
        )),
        "{text}"
    );
    let marked = text
        .lines()
        .filter(|l| l.contains("* ") && l.contains('['))
        .count();
    assert_eq!(marked, outside, "{text}");
    let v = serde_json::to_value(&ranking).unwrap();
    let flagged = v.as_array().unwrap().iter();
    let flagged = flagged.filter(|c| c["prediction_outside_interval"] == true);
    assert_eq!(flagged.count(), outside, "{v}");
}

/// A journal record of `spec` in `state` (a loss when done).
fn record(
    plan: &Plan,
    spec: &RunSpec,
    state: slaw_run::journal::State,
    loss: Option<f64>,
) -> slaw_run::journal::Record {
    slaw_run::journal::Record {
        id: plan.run_id(spec),
        candidate: plan.candidates[spec.candidate].id.clone(),
        n: spec.n,
        seed: spec.seed,
        state,
        attempts: 1,
        owner: None,
        handle: None,
        exit_status: Some(if loss.is_some() { 0 } else { 1 }),
        loss,
        duration: Some(1.0),
        log_path: None,
        reason: loss.is_none().then(|| "non-zero exit status 1".to_string()),
        started: None,
        slot: None,
        granted: 0,
        inputs: None,
    }
}

/// `slaw report` on a plan still running (review 45 item 3): a candidate
/// none of whose runs has finished is "not run yet", not one that "could
/// not be scored"; a candidate with points that cannot be scored yet (one
/// size of the ladder in) and one whose runs all failed still are.
#[test]
fn fx45b_a_candidate_not_run_yet_is_not_a_candidate_that_could_not_be_scored() {
    let head = "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\n\
                adaptive = false\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\n";
    let ids = ["c0", "c1", "c2", "c3", "late", "partial", "gone"];
    let text: String = ids
        .iter()
        .map(|id| format!("[[candidate]]\nid = \"{id}\"\n"))
        .collect();
    let plan = Plan::parse(Path::new("p.toml"), &format!("{head}{text}")).unwrap();
    let loss = |s: &RunSpec| {
        let (x, i) = ((s.n as f64 / 100.0).ln(), s.candidate as f64);
        3.0 + 0.1 * i - (0.05 + 0.02 * i) * x
    };
    let ladder = plan.fixed_ladder();
    let largest = ladder.iter().map(|r| r.n).max().unwrap();
    let mut records = Vec::new();
    for s in &ladder {
        let id = ids[s.candidate];
        use slaw_run::journal::State;
        match id {
            // nothing of it has run: no record (queued)
            "late" => {}
            // only the largest size is in; the others are queued
            "partial" if s.n != largest => {}
            "gone" => records.push(record(&plan, s, State::Failed, None)),
            _ => records.push(record(&plan, s, State::Done, Some(loss(s)))),
        }
    }
    let d = slaw_run::scheduler::decide(&plan, &records, &[]);
    let status = |id: &str| d.candidates.iter().find(|c| c.id == id).unwrap();
    assert!(status("late").not_run_yet());
    assert!(!status("partial").not_run_yet());
    assert!(!status("gone").not_run_yet(), "{:?}", status("gone"));
    let (ranking, warnings) = slaw_run::scheduler::rank_with_warnings(&plan, &d.candidates);
    let of = |id: &str| ranking.iter().find(|r| r.id == id).unwrap();
    for id in ["c0", "c1", "c2", "c3"] {
        assert!(of(id).estimate.is_some(), "{id}");
        assert!(!of(id).not_run_yet, "{id}");
    }
    let late = of("late");
    assert!(late.estimate.is_none() && late.not_run_yet && late.error.is_none());
    for id in ["partial", "gone"] {
        assert!(of(id).estimate.is_none() && !of(id).not_run_yet, "{id}");
        assert!(of(id).error.is_some(), "{id}");
    }
    // The warning names the two that could not be scored, out of all seven.
    let unscored: Vec<&String> = warnings
        .iter()
        .filter(|w| w.contains("could not be scored"))
        .collect();
    assert_eq!(unscored.len(), 1, "{warnings:?}");
    assert!(
        unscored[0].starts_with("2 of 7 candidates could not be scored")
            && unscored[0].contains("(partial, gone)"),
        "{warnings:?}"
    );
    assert!(!warnings.iter().any(|w| w.contains("late")), "{warnings:?}");
    // The text says it apart from the warnings.
    let text = slaw_run::report::ranking_report(&plan, &ranking, &warnings, None, &[]);
    let line = text.lines().find(|l| l.contains(" late ")).unwrap();
    assert!(line.contains("not run yet"), "{text}");
    assert!(
        text.contains(
            "not run yet: 1 of 7 candidates (late): the ranking and the choice are among \
             the others so far"
        ),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("warning:") && l.contains("late")),
        "{text}"
    );
    // and the JSON carries it.
    let v = serde_json::to_value(&ranking).unwrap();
    let late = v.as_array().unwrap().iter().find(|c| c["id"] == "late");
    assert_eq!(late.unwrap()["not_run_yet"], true, "{v}");
    // Only a zero-shot point in (zero-shot evaluations run first): still
    // nothing of its fine-tuning has run.
    let mut zs = status("late").clone();
    zs.points = vec![(0.0, 2.5)];
    assert!(zs.not_run_yet());
}

/// fx46b item 4: `slaw select`'s spike check (a point that breaks its
/// curve's trend, `slaw::selection::spikes`) is among the runner's ranking
/// caveats: on a replayed plan whose c2 trainer wrote one loss x1.5, the
/// runner's warnings name it as select's do on the same points, and the
/// report (`slaw report`'s ranking) prints it.
#[test]
fn fx46b_the_runners_ranking_warns_of_a_spike_as_select_does() {
    let head = "full_size = 1638400\nbudget = \"1/8\"\nmin_size = 200\nlevel = 0.8\n\
                adaptive = false\ncommand = \"x {model} {n}\"\n\
                loss = { kind = \"regex\", pattern = \"l=(.+)\" }\n";
    let ids: String = ["c0", "c1", "c2", "c3", "c4"]
        .iter()
        .map(|id| format!("[[candidate]]\nid = \"{id}\"\n"))
        .collect();
    let plan = Plan::parse(Path::new("p.toml"), &format!("{head}{ids}")).unwrap();
    let loss = |s: &RunSpec| {
        let (x, i) = ((s.n as f64 / 100.0).ln(), s.candidate as f64);
        let l = 3.0 + 0.1 * i - (0.05 + 0.02 * i) * x - 0.0005 * x.powi(3) * (1.0 + i);
        Some(if s.candidate == 2 && s.n == 3200 {
            1.5 * l
        } else {
            l
        })
    };
    let out = replay(&plan, &loss).unwrap();
    let status = out.decision.candidates.clone();
    let (ranking, warnings) = slaw_run::scheduler::rank_with_warnings(&plan, &status);
    let sel = select_as_slaw_select(&plan, &status);
    let spike: Vec<&String> = sel
        .warnings
        .iter()
        .filter(|w| w.starts_with("candidate 'c2': the loss") && w.contains("at size 3200"))
        .collect();
    assert_eq!(spike.len(), 1, "select: {:?}", sel.warnings);
    assert!(spike[0].contains("% above the line"), "{}", spike[0]);
    assert_eq!(warnings, sel.warnings);
    let text = slaw_run::report::ranking_report(&plan, &ranking, &warnings, None, &[]);
    assert!(text.contains(&format!("warning: {}", spike[0])), "{text}");
    // The same curves without the spike: no such warning.
    let clean = replay(&plan, &|s: &RunSpec| {
        let (x, i) = ((s.n as f64 / 100.0).ln(), s.candidate as f64);
        Some(3.0 + 0.1 * i - (0.05 + 0.02 * i) * x - 0.0005 * x.powi(3) * (1.0 + i))
    })
    .unwrap();
    let (_, quiet) = slaw_run::scheduler::rank_with_warnings(&plan, &clean.decision.candidates);
    assert!(
        !quiet.iter().any(|w| w.contains("the pool's noise")),
        "{quiet:?}"
    );
}

/// `slaw select` on the plan's pool of `status` (its method, budget, level
/// and references; every candidate ranked), as the runner's ranking must
/// agree with it.
fn select_as_slaw_select(
    plan: &Plan,
    status: &[slaw_run::scheduler::CandidateStatus],
) -> slaw::selection::Selection {
    let points = slaw_run::scheduler::pool(plan, status);
    let opts = slaw::selection::SelectOptions {
        bootstrap: slaw::bootstrap::Resampling::new(
            plan.bootstrap,
            slaw::selection::BOOTSTRAP_LEVEL,
            0,
        ),
        level: Some(plan.level),
        rank_the_rest: true,
        ..Default::default()
    };
    let budget = slaw::selection::Budget {
        target: plan.target,
        max_n: plan.budget,
    };
    slaw::selection::select_with_references(&points, plan.method, budget, &opts, &plan.references)
        .unwrap()
}
