//! `slaw run`: produce the loss table model selection needs by running the
//! user's training command on subsets, and decide as results arrive.
//!
//! plan (TOML) -> scheduler (adaptive AtS from the journal) -> backend
//! (local processes) -> loss reader -> journal (SQLite, WAL) -> ranking
//! (the `slaw` selection methods) -> report.

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
    #[error("{file}, line {line}, column {col}: {message}")]
    Plan {
        file: String,
        line: usize,
        col: usize,
        message: String,
    },
    /// The journal's database failed.
    #[error("journal {path}: {source}")]
    Journal {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// A file that is not a usable journal (empty, or not creatable).
    #[error("journal {path}: {message}")]
    JournalFile { path: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A program the runner needs (a training command, sbatch, scontrol)
    /// could not be started or waited for.
    #[error("{what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A program the runner needs ran and failed, or answered nonsense.
    #[error("{what} failed: {message}")]
    Command { what: String, message: String },
    /// The plan's command template could not be rendered for a run.
    #[error("the command template: {0}")]
    Template(String),
    /// The data given to the runner (a replay table) lack a value it needs.
    #[error("{0}")]
    Data(String),
    /// The library failed (ranking, a fit).
    #[error(transparent)]
    Library(#[from] slaw::Error),
    #[error(
        "interrupted: running attempts were stopped and will run again on the next `slaw run`"
    )]
    Interrupted,
}

pub type Result<T> = std::result::Result<T, Error>;
