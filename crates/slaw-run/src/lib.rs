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

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad plan file: where and what.
    #[error("{file}, line {line}, column {col}: {message}")]
    Plan {
        file: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("journal {path}: {message}")]
    Journal { path: String, message: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error(
        "interrupted: running attempts were stopped and will run again on the next `slaw run`"
    )]
    Interrupted,
}

pub type Result<T> = std::result::Result<T, Error>;
