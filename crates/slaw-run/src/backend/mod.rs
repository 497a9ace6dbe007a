//! Where runs execute. A backend starts a shell command with its
//! environment and output files, reports when it has finished, and stops it.

pub mod local;
pub mod slurm;

use crate::Result;
use std::path::PathBuf;

/// One attempt of a run, ready to start.
#[derive(Debug, Clone)]
pub struct Launch {
    /// The run's id (also exported to the command as `SLAW_RUN_ID`).
    pub id: String,
    /// A shell command line.
    pub command: String,
    /// Environment variables (name, value) set for the command, on top of
    /// the inherited environment.
    pub env: Vec<(String, String)>,
    /// The attempt's folder (`{out}`), also the working directory.
    pub out_dir: PathBuf,
    /// The file the command's standard output is written to.
    pub stdout: PathBuf,
    /// The file the command's standard error is written to.
    pub stderr: PathBuf,
}

/// The state of a launched attempt, as a backend last saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    /// Not finished yet (for Slurm: also pending, suspended or requeued).
    Running,
    /// Finished: the exit code, or the signal that ended it.
    Exited {
        /// The exit code, when it exited normally; `None` when a signal
        /// ended it or its outcome is unknown (handle not known, job purged).
        code: Option<i64>,
        /// The signal that ended it, when one did.
        signal: Option<i32>,
    },
}

/// A place to run attempts: start, watch and stop shell commands.
pub trait Backend {
    /// Start the attempt; returns a handle (a pid, a job id) for the journal.
    fn launch(&mut self, l: &Launch) -> Result<String>;
    /// Whether the attempt of `handle` (from [`Backend::launch`]) is still
    /// running, or how it ended. An attempt with no record left (a local
    /// process this backend did not start or has already reaped, a purged
    /// Slurm job) reads as exited with neither code nor signal.
    fn poll(&mut self, handle: &str) -> Result<Poll>;
    /// Stop an attempt this process started (timeout, interrupt).
    fn cancel(&mut self, handle: &str);
    /// Stop what a dead slaw process left running of run `id`: from its
    /// journal handle, or (when it died before recording one) by what the
    /// backend can find. Must not touch anything that is not that run.
    fn cancel_orphan(&mut self, id: &str, handle: Option<&str>);
    /// A dead slaw left run `id` running: stop what is still running of it
    /// (as [`Backend::cancel_orphan`]) and tell whether it had ended by
    /// itself, and how. `out_dir`: the attempt's folder (None when the run
    /// is no longer in the plan).
    fn recover_orphan(
        &mut self,
        id: &str,
        handle: Option<&str>,
        out_dir: Option<&std::path::Path>,
    ) -> Orphan;
}

/// What a dead slaw left of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orphan {
    /// Its attempt had ended by itself: its exit code, or the signal that
    /// ended it; neither when its outcome is unknown (it must then run
    /// again: a process that failed may have left output that reads as a
    /// result, such as an intermediate loss).
    Ended {
        /// The exit code, when it exited normally and it is known.
        code: Option<i64>,
        /// The signal that ended it, when one did.
        signal: Option<i32>,
    },
    /// It was still running and has been stopped, or what is left of it is
    /// unknown (no handle was recorded): it must run again.
    Stopped,
}
