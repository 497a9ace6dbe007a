//! `slaw run`: produce the loss table model selection needs by running the
//! user's training command on subsets, and decide as results arrive.
//!
//! plan (TOML) -> scheduler (adaptive AtS from the journal) -> backend
//! (local processes) -> loss reader -> journal (SQLite, WAL) -> ranking
//! (the `slaw` selection methods) -> report.

#![warn(missing_docs)]

pub mod backend;
pub mod interrupt;
pub mod journal;
pub mod loss;
pub mod plan;
pub mod replay;
pub mod report;
pub mod runner;
pub mod scheduler;
pub mod template;

pub use plan::Plan;

/// An error of the runner. Each keeps its cause as its source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A bad plan file: where and what.
    #[error("{}: {message}", plan_place(.file, *.line, *.col))]
    Plan {
        /// The plan file's path, as given.
        file: String,
        /// 1-based line of the fault; 0 when it cannot be placed (a key that
        /// is missing).
        line: usize,
        /// 1-based column (in bytes) on that line; 0 when unknown.
        col: usize,
        /// What is wrong, usually starting with the plan key concerned.
        message: String,
    },
    /// The journal's database failed.
    #[error("journal {path}: {source}")]
    Journal {
        /// The journal's path.
        path: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file that is not a usable journal (empty, or not creatable).
    #[error("journal {path}: {message}")]
    JournalFile {
        /// The journal's path.
        path: String,
        /// Why it cannot be used.
        message: String,
    },
    /// Reading or writing a file or folder failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A program the runner needs (a training command, sbatch, scontrol)
    /// could not be started or waited for.
    #[error("{what}: {source}")]
    Spawn {
        /// What was being done, naming the program (or process) concerned.
        what: String,
        /// The I/O error from starting or waiting.
        #[source]
        source: std::io::Error,
    },
    /// A program the runner needs ran and failed, or answered nonsense.
    #[error("{what} failed: {message}")]
    Command {
        /// The program (and what it was asked), e.g. `sbatch`.
        what: String,
        /// Its error output, or what was wrong with its answer.
        message: String,
    },
    /// The plan's command template could not be rendered for a run.
    #[error("the command template: {0}")]
    Template(String),
    /// The data given to the runner (a replay table) lack a value it needs.
    #[error("{0}")]
    Data(String),
    /// The library failed (ranking, a fit).
    #[error(transparent)]
    Library(#[from] slaw::Error),
    /// Runs of the journal were made with other inputs (command, model,
    /// loss reader) than the plan now gives them: their results would be
    /// taken for this plan's.
    #[error(
        "journal {journal}: runs were made with other inputs than the plan now gives them, so their results are not this plan's: {}. Run them again, or restore the plan (or give it its own journal)",
        changes.join("; ")
    )]
    InputsChanged {
        /// The journal's path.
        journal: String,
        /// What changed, with how many runs (see
        /// [`runner::input_changes`]).
        changes: Vec<String>,
    },
    /// SIGINT or SIGTERM arrived during a run: running attempts were stopped
    /// and given back to the journal, to run again next time.
    #[error(
        "interrupted: running attempts were stopped and will run again on the next `slaw run`"
    )]
    Interrupted,
}

/// The runner's result type, with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Where in a plan file a fault is: "FILE, line L, column C"; without the
/// parts that are unknown (0), e.g. a missing key or a plan on stdin.
fn plan_place(file: &str, line: usize, col: usize) -> String {
    match (line, col) {
        (0, _) => file.to_string(),
        (l, 0) => format!("{file}, line {l}"),
        (l, c) => format!("{file}, line {l}, column {c}"),
    }
}
