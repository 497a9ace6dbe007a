//! probe65: README and `--help` against the tool as it is.
//!
//! README's `slaw` commands are run as written by `readme_examples.rs`, but
//! without their optional parts (`[--json]`, `[--method a|b|c]`), which could
//! name options that no longer exist. Here every command of README's `sh`
//! blocks is parsed by the CLI with its optional parts included, once per
//! alternative of each `a|b|c`, without running it: `--help` appended makes
//! clap parse every argument before it (an unknown option, a value outside
//! an option's choices or a malformed number is an error, exit 2) and then
//! print the help instead of running. And every `--option` of a `slaw ...`
//! command quoted inline in README's text is an option of that command.
//!
//! Also the `--help` texts README cites or that contradicted it: `fit
//! --help` gives the origins and scores README quotes from it, and `compare
//! --help` no longer says that vanilla-ft follows x's unit (README, the
//! scale-free search: measured not to, on real learning curves).

mod common;
use common::{readme, sh_lines};

use std::collections::BTreeSet;
use std::path::Path;
use tempfile::TempDir;

/// A word of a command line: its text, and whether any of it was quoted.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    text: String,
    quoted: bool,
}

/// `line` split into words as `sh` would (single and double quotes, no
/// expansions), a `#` comment left out, and the brackets of optional parts
/// dropped outside quotes, so that what they hold is kept.
fn words_with_options(line: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut cur = Word {
        text: String::new(),
        quoted: false,
    };
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                cur.quoted = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    cur.text.push(q);
                }
            }
            '[' | ']' => {}
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::replace(
                        &mut cur,
                        Word {
                            text: String::new(),
                            quoted: false,
                        },
                    ));
                }
                in_word = false;
            }
            c => {
                cur.text.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// The alternatives of an unquoted word `a|b|c` (README's choices of a
/// value), each whole: `decay=linear|exp|cosine` gives `decay=linear`,
/// `decay=exp` and `decay=cosine` (the first's text up to its last `=` or
/// `,` is the others' prefix).
fn alternatives(w: &Word) -> Vec<String> {
    if w.quoted || !w.text.contains('|') {
        return vec![w.text.clone()];
    }
    let parts: Vec<&str> = w.text.split('|').collect();
    let first = parts[0];
    let prefix = first
        .rfind(['=', ','])
        .map_or("", |i| &first[..=i])
        .to_string();
    let mut out = vec![first.to_string()];
    out.extend(parts[1..].iter().map(|p| format!("{prefix}{p}")));
    out
}

/// Every argument list (without `slaw`) README's sh blocks give, optional
/// parts included: one list with each word's first alternative, then one
/// per other alternative of each word.
fn readme_commands_with_options(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for line in sh_lines(text) {
        let words: Vec<Word> = words_with_options(&line)
            .into_iter()
            .filter(|w| w.quoted || w.text != "...")
            .collect();
        if words.first().map(|w| w.text.as_str()) != Some("slaw") {
            continue;
        }
        let alts: Vec<Vec<String>> = words[1..].iter().map(alternatives).collect();
        let base: Vec<String> = alts.iter().map(|a| a[0].clone()).collect();
        out.push(base.clone());
        for (i, a) in alts.iter().enumerate() {
            for alt in &a[1..] {
                let mut v = base.clone();
                v[i] = alt.clone();
                out.push(v);
            }
        }
    }
    out
}

#[test]
fn the_readme_reader_keeps_optional_parts_and_expands_alternatives() {
    let cmds = readme_commands_with_options(
        "```sh\nslaw forecast run.csv [--method auto|power] \\\n    [--at 1 2] [--json]  # note\n\
         slaw schedule r.csv --optimize-wsd peak=1,warmup=2[,decay=linear|exp] --steps 9\n\
         slaw allocate a.csv [--budget 1e23 ...] --n-col \"Model Size\"\n```\n",
    );
    let joined: Vec<String> = cmds.iter().map(|c| c.join(" ")).collect();
    assert_eq!(
        joined,
        [
            "forecast run.csv --method auto --at 1 2 --json",
            "forecast run.csv --method power --at 1 2 --json",
            "schedule r.csv --optimize-wsd peak=1,warmup=2,decay=linear --steps 9",
            "schedule r.csv --optimize-wsd peak=1,warmup=2,decay=exp --steps 9",
            "allocate a.csv --budget 1e23 --n-col Model Size",
        ]
    );
    assert_eq!(cmds[4].last().map(String::as_str), Some("Model Size"));
}

/// Run `slaw ARGS --help` in `dir`: clap parses ARGS, then prints the help.
fn parses(dir: &Path, args: &[String]) -> (i32, String, String) {
    let out = common::slaw()
        .current_dir(dir)
        .args(args)
        .arg("--help")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn every_readme_command_parses_with_its_optional_parts() {
    let dir = TempDir::new().unwrap();
    let cmds = readme_commands_with_options(&readme());
    assert!(cmds.len() >= 30, "{} commands", cmds.len());
    // the optional parts are in: e.g. forecast's --method choices, methods' --intervals
    let joined: Vec<String> = cmds.iter().map(|c| c.join(" ")).collect();
    for probe in [
        "--method multipower-warmup",
        "--intervals predictive",
        "--form additive",
        "--holdout-col held",
        "--every 128",
    ] {
        assert!(
            joined.iter().any(|c| c.contains(probe)),
            "no README command holds {probe:?}"
        );
    }
    for args in &cmds {
        let (code, stdout, stderr) = parses(dir.path(), args);
        let line = args.join(" ");
        assert_eq!(
            code, 0,
            "`slaw {line}` does not parse with the current CLI:\n{stderr}"
        );
        // the help of that command, not a run that swallowed --help as a value
        let usage = format!("Usage: slaw {}", args[0]);
        assert!(
            stdout.contains(&usage),
            "`slaw {line} --help` did not print {usage:?}:\n{stdout}"
        );
    }
}

/// The long options a `--help` page lists.
fn options_of(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let t = t.strip_prefix("-v, ").unwrap_or(t);
            let t = t.strip_prefix("-h, ").unwrap_or(t);
            let t = t.strip_prefix("-V, ").unwrap_or(t);
            t.strip_prefix("--")
                .map(|o| o.split([' ', '=', '<']).next().unwrap_or("").to_string())
        })
        .filter(|o| !o.is_empty())
        .collect()
}

/// The `slaw ...` commands quoted inline in README's text (`slaw bench
/// selection --protocol lodo`): the subcommand words, then the options.
fn inline_commands(text: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out = Vec::new();
    for (i, piece) in text.split('`').enumerate() {
        if i % 2 == 0 || !piece.starts_with("slaw ") {
            continue;
        }
        let piece = piece.split('|').next().unwrap_or(piece);
        let words: Vec<&str> = piece.split_whitespace().skip(1).collect();
        let subcommand: Vec<String> = words
            .iter()
            .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase()))
            .take(2)
            .map(|w| w.to_string())
            .collect();
        let options: Vec<String> = words
            .iter()
            .filter_map(|w| w.trim_start_matches('[').strip_prefix("--"))
            .map(|o| o.trim_end_matches(']').to_string())
            .collect();
        if !subcommand.is_empty() && !options.is_empty() {
            out.push((subcommand, options));
        }
    }
    out
}

#[test]
fn every_option_of_readme_inline_commands_exists() {
    let text = readme();
    let cmds = inline_commands(&text);
    assert!(
        cmds.iter()
            .any(|(s, o)| s.join(" ") == "bench temporal" && o.contains(&"interval".to_string())),
        "{cmds:?}"
    );
    for (sub, options) in cmds {
        // `bench` alone is no command: its first word after is the benchmark
        let sub: Vec<String> = if sub[0] == "bench" || sub.len() == 1 {
            sub
        } else {
            sub[..1].to_vec()
        };
        let out = common::slaw().args(&sub).arg("--help").output().unwrap();
        assert!(
            out.status.success(),
            "`slaw {} --help`: {}",
            sub.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        let known = options_of(&String::from_utf8_lossy(&out.stdout));
        for o in options {
            assert!(
                known.contains(&o),
                "README quotes `slaw {} ... --{o}`, which `slaw {} --help` does not list: {known:?}",
                sub.join(" "),
                sub.join(" ")
            );
        }
    }
}

fn help(args: &[&str]) -> String {
    let out = common::slaw().args(args).arg("--help").output().unwrap();
    assert!(out.status.success());
    // one line per paragraph: clap wraps at the terminal's width
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn fit_help_gives_what_readme_quotes_from_it() {
    let text = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("(`slaw fit --help`: at most 32 origins and 1,024 scores each"),
        "README no longer quotes fit --help's limits"
    );
    let fit = help(&["fit"]);
    assert!(fit.contains("at most 32 origins"), "{fit}");
    assert!(
        fit.contains("at most 1,024 later points scored per origin"),
        "{fit}"
    );
}

#[test]
fn compare_help_says_what_readme_measured_of_vanilla_ft_and_units() {
    let text = readme().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("so `compare`'s pick can move with x's unit"));
    let compare = help(&["compare"]);
    assert!(!compare.contains("follows x's unit"), "{compare}");
    assert!(
        compare.contains("x's unit can change its fit and the pick as well"),
        "{compare}"
    );
    // compare draws no figure: its page says so (README: "its page has no figure")
    assert!(compare.contains("compare draws no figure"), "{compare}");
}

#[test]
fn a_holdout_flag_of_y_and_n_in_any_case_is_read_as_the_help_says() {
    let dir = TempDir::new().unwrap();
    let mut csv = String::from("n,loss,held\n");
    for i in 0..10 {
        let n = 100.0 * 2f64.powi(i);
        let flag = match i {
            8 => "Y",
            9 => "yes",
            _ => ["n", "N", "no", "0"][i as usize % 4],
        };
        csv.push_str(&format!("{n},{},{flag}\n", 2.0 + 5.0 * n.powf(-0.3)));
    }
    let f = common::write(&dir, "h.csv", &csv);
    let out = common::slaw()
        .args([
            "fit",
            &f,
            "--law",
            "power",
            "--x",
            "n",
            "--holdout-col",
            "held",
        ])
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = common::json_of(&out);
    let held = &v["groups"][0]["heldout"];
    assert_eq!(held["n"].as_u64(), Some(2), "{held}");
    assert!(help(&["fit"]).contains("1/0, true/false, yes/no, y/n, in any case"));
}
