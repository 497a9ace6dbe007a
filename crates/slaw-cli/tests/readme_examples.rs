//! README's examples run as written on a fresh checkout: every `slaw ...`
//! command of README's `sh` code blocks is run from a copy of the
//! repository's root (its `examples/` folder, and `../shared` beside it
//! when present) and must exit 0; a few print the figures README quotes.
//! The committed `examples/` files are what `slaw demo --write` generates.
//!
//! Commands that read `../shared` are skipped with a message where it is
//! absent (a failure under CI=true). Options in `[...]` are left out, as
//! README says they are optional.

mod common;
use common::{readme, sh_lines};

use std::path::{Path, PathBuf};
use tempfile::TempDir;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A command line split into words as `sh` would (single and double quotes,
/// no expansions), with a `#` comment and every `[...]` group (optional
/// parts) outside quotes left out.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut depth = 0usize;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == c {
                        break;
                    }
                    if depth == 0 {
                        cur.push(q);
                    }
                }
            }
            '[' => depth += 1,
            ']' if depth > 0 => depth -= 1,
            '#' if !in_word && depth == 0 => break,
            c if c.is_whitespace() => {
                if in_word && depth == 0 {
                    words.push(std::mem::take(&mut cur));
                }
                in_word = false;
            }
            c => {
                if depth == 0 {
                    cur.push(c);
                    in_word = true;
                }
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Every `slaw` command of README's sh blocks, as argument lists (without
/// the leading `slaw`).
fn readme_commands() -> Vec<Vec<String>> {
    sh_lines(&readme())
        .iter()
        .map(|l| words(l))
        .filter(|w| w.first().map(String::as_str) == Some("slaw"))
        .map(|w| w[1..].to_vec())
        .collect()
}

/// Copy `from` into `to`, leaving out what a run of README's plan leaves
/// beside it (its journal and run folders).
fn copy_examples(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().to_string();
        if e.file_type().unwrap().is_file() && !name.starts_with("plan.journal") {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

/// Figures README quotes beside a command, and that the command prints:
/// (the command's first words, the text both must hold).
const QUOTED: [(&str, &str); 4] = [
    ("allocate --params", "5.76e23  3.21899e10  2.98231e12"),
    (
        "methods examples/runs.csv",
        "recommended: prompt (intervals overlap with lora",
    ),
    (
        "schedule examples/training_runs.csv --run-col run --predict",
        "L0=2.984328 A=0.520199 alpha=0.488957 C=0.392536",
    ),
    (
        "report examples/plan.toml",
        "1 dune-1.4b 1.379916 [0.997903, 2.125393] <- chosen",
    ),
];

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn readme_commands_are_found_and_split_as_sh_would() {
    let w = words(
        r#"slaw fit examples/curves.csv --formula "B/(Dl + n^beta) + E" [--json] 'a b'  # note"#,
    );
    assert_eq!(
        w,
        [
            "slaw",
            "fit",
            "examples/curves.csv",
            "--formula",
            "B/(Dl + n^beta) + E",
            "a b"
        ]
    );
    let w = words("slaw forecast run.csv [--method auto|temporal] [--at 30000 72000] --x [a[b]] y");
    assert_eq!(w, ["slaw", "forecast", "run.csv", "--x", "y"]);
    let cmds = readme_commands();
    // every section's example is there: select, joint, methods, allocate,
    // forecast, schedule, the runner, fit
    for sub in [
        "select", "joint", "methods", "allocate", "forecast", "schedule", "plan", "run", "status",
        "report", "fit",
    ] {
        assert!(
            cmds.iter().any(|c| c[0] == sub),
            "README has no `slaw {sub}` example"
        );
    }
    for (prefix, figure) in QUOTED {
        assert!(
            cmds.iter().any(|c| c.join(" ").starts_with(prefix)),
            "README has no command `slaw {prefix} ...`"
        );
        assert!(
            collapse(&readme()).contains(&collapse(figure)),
            "README no longer quotes {figure:?}"
        );
    }
}

/// The committed examples are `slaw demo --write`'s output, byte for byte.
#[test]
fn the_examples_folder_is_what_demo_write_generates() {
    let dir = TempDir::new().unwrap();
    let out = common::slaw()
        .args(["demo", "--write"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout).lines().count();
    let mut n = 0;
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        let committed = repo().join("examples").join(&name);
        let want = std::fs::read_to_string(e.path()).unwrap();
        let have = std::fs::read_to_string(&committed).unwrap_or_else(|_| {
            panic!(
                "{} is not committed: run `slaw demo --write examples`",
                committed.display()
            )
        });
        assert!(
            have == want,
            "{} differs from `slaw demo --write`'s: regenerate it",
            committed.display()
        );
        assert!(want.len() < 8 * 1024, "{name:?}: {} bytes", want.len());
        n += 1;
    }
    assert_eq!(n, listed);
    assert!(n >= 8, "{n} files");
}

#[test]
fn every_readme_command_runs_from_the_repository_root() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().join("repo");
    copy_examples(&repo().join("examples"), &root.join("examples"));
    let shared = repo().join("../shared");
    let have_shared = shared.join("data").exists();
    if have_shared {
        std::os::unix::fs::symlink(shared.canonicalize().unwrap(), tmp.path().join("shared"))
            .unwrap();
    }
    let cmds = readme_commands();
    assert!(cmds.len() >= 20, "{} commands", cmds.len());
    let (mut ran, mut skipped) = (0, 0);
    for args in &cmds {
        let line = args.join(" ");
        if args.iter().any(|a| a.contains("../shared")) && !have_shared {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "../shared is missing under CI: `slaw {line}`"
            );
            eprintln!("SKIPPED: `slaw {line}` reads ../shared, which is absent");
            skipped += 1;
            continue;
        }
        let out = common::slaw()
            .current_dir(&root)
            .args(args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "`slaw {line}` exited {:?}:\n{}\n{stdout}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        for (prefix, figure) in QUOTED {
            if line.starts_with(prefix) {
                assert!(
                    collapse(&stdout).contains(&collapse(figure)),
                    "`slaw {line}` no longer prints {figure:?} (README quotes it):\n{stdout}"
                );
            }
        }
        ran += 1;
    }
    eprintln!("{ran} README commands ran, {skipped} skipped");
}
