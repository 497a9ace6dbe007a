//! The journal: one SQLite database (WAL) per plan with every launched run,
//! its state, attempts, exit status, loss, duration, log path and failure
//! reason. Every state change is its own transaction, so killing slaw at any
//! moment loses no completed result. Runs are claimed with a conditional
//! UPDATE inside an IMMEDIATE transaction: two slaw processes on one journal
//! never launch the same run twice.

use crate::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// Where a run stands in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Recorded, not started yet.
    Queued,
    /// Claimed by a slaw process (its `owner`), attempt under way.
    Running,
    /// Finished with a loss.
    Done,
    /// Failed; retried while attempts <= retries.
    Failed,
    /// Its slaw process died while it ran; run again (not counted as an attempt).
    Interrupted,
}

impl State {
    /// The lowercase name stored in the journal (and shown in reports).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Running => "running",
            State::Done => "done",
            State::Failed => "failed",
            State::Interrupted => "interrupted",
        }
    }
    fn parse(s: &str) -> Option<State> {
        Some(match s {
            "queued" => State::Queued,
            "running" => State::Running,
            "done" => State::Done,
            "failed" => State::Failed,
            "interrupted" => State::Interrupted,
            _ => return None,
        })
    }
}

/// One run's row of the journal.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Record {
    /// The run's key (see [`crate::plan::Plan::run_id`]).
    pub id: String,
    /// The candidate's id.
    pub candidate: String,
    /// Subset size, in examples.
    pub n: u64,
    /// The run's seed.
    pub seed: u64,
    /// Where the run stands.
    pub state: State,
    /// Attempts started so far (an attempt given back by an interrupted
    /// slaw is not counted).
    pub attempts: u32,
    /// The slaw process that claimed it (see [`me`]), while or since it ran.
    pub owner: Option<String>,
    /// The process (local) or job id (Slurm) of the current attempt.
    pub handle: Option<String>,
    /// The last attempt's exit code, when known.
    pub exit_status: Option<i64>,
    /// The measured loss, once done.
    pub loss: Option<f64>,
    /// Wall time of the last finished attempt, seconds (None for an adopted
    /// orphan's result).
    pub duration: Option<f64>,
    /// The attempt's stdout log, or the file that tells why it failed.
    pub log_path: Option<String>,
    /// Why the last attempt failed or was given back.
    pub reason: Option<String>,
    /// When the current attempt was claimed (seconds since the epoch).
    pub started: Option<f64>,
    /// The slot the current (or last) attempt holds while running.
    pub slot: Option<String>,
    /// Attempts given back by [`Journal::retry_failed`] or
    /// [`Journal::run_again`]: the run may be claimed while `attempts <
    /// retries + 1 + granted`.
    pub granted: u32,
    /// What determined the last launched attempt's result (the plan's
    /// [`crate::plan::Plan::run_inputs`]: command template, model, loss
    /// reader); None in journals written before it was recorded.
    pub inputs: Option<String>,
}

impl Record {
    /// Whether a failed run has used every attempt the plan allows it
    /// (`max_attempts`: `retries + 1`) and none is given back.
    pub fn out_of_attempts(&self, max_attempts: u32) -> bool {
        self.attempts >= max_attempts.saturating_add(self.granted)
    }

    /// Whether the run failed for good: failed, and out of attempts
    /// ([`Record::out_of_attempts`]).
    pub fn failed_for_good(&self, max_attempts: u32) -> bool {
        self.state == State::Failed && self.out_of_attempts(max_attempts)
    }

    /// Whether the run has its outcome: done, or failed for good
    /// ([`Record::failed_for_good`]; `max_attempts`: the plan's
    /// [`crate::plan::Plan::max_attempts`]).
    pub fn settled(&self, max_attempts: u32) -> bool {
        self.state == State::Done || self.failed_for_good(max_attempts)
    }
}

/// What [`Journal::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This process now runs it on the slot.
    Claimed,
    /// Running elsewhere, done, or out of attempts.
    Taken,
    /// Another run holds the slot (in this or another slaw process).
    SlotBusy,
}

/// An open journal (one SQLite connection).
pub struct Journal {
    conn: Connection,
    path: String,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// This process as a journal owner: host, pid and the pid's start time
/// (so a reused pid is not taken for this process).
pub fn me() -> String {
    let pid = std::process::id() as i32;
    match start_time(pid) {
        Some(t) => format!("{}:{pid}:{t}", hostname()),
        None => format!("{}:{pid}", hostname()),
    }
}

/// The start time of process `pid` (clock ticks after boot), from /proc.
fn start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22; the command name (field 2) may hold spaces, so count after ')'.
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(19)?
        .parse()
        .ok()
}

/// Whether `owner` (see [`me`]) is a process of this host that is gone: no
/// such pid, or the pid now belongs to a process started at another time.
/// Owners on other hosts are never taken for dead.
pub fn owner_dead(owner: &str) -> bool {
    let mut parts = owner.split(':');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    if host != hostname() {
        return false;
    }
    if !process_alive(pid) {
        return true;
    }
    match parts.next().and_then(|t| t.parse::<u64>().ok()) {
        Some(t) => start_time(pid).is_some_and(|now| now != t),
        None => false,
    }
}

/// This machine's host name (from /proc; "localhost" when unreadable).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

impl Journal {
    /// Open the journal at `path`, creating it (and its folder) when absent.
    /// An empty file is refused ([`Error::JournalFile`]), never overwritten.
    pub fn open(path: &Path) -> Result<Journal> {
        let p = path.display().to_string();
        let err = |e: rusqlite::Error| Error::Journal {
            path: p.clone(),
            source: e,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
        }
        // A journal is created whole (built aside, then linked into place),
        // so an empty file is never a journal being created: it is one that
        // was truncated, and starting afresh would run every run again.
        match std::fs::metadata(path) {
            Ok(m) if m.len() == 0 => {
                return Err(Error::JournalFile {
                    path: p,
                    message: "the file is empty (0 bytes): it is not a slaw journal, or it was \
                              truncated; restore it, or delete it to start the plan afresh"
                        .into(),
                })
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create(path).map_err(|message| Error::JournalFile {
                    path: p.clone(),
                    message,
                })?
            }
            Err(e) => return Err(Error::Io { path: p, source: e }),
        }
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_handler(Some(wait_while_busy)).map_err(err)?;
        retrying(|| {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.execute_batch(SCHEMA)
        })
        .map_err(err)?;
        let mut j = Journal { conn, path: p };
        // Journals written before runs held slots, were granted attempts
        // back or recorded their inputs: add the columns.
        for (col, decl) in [
            ("slot", "slot TEXT"),
            ("granted", "granted INTEGER NOT NULL DEFAULT 0"),
            ("inputs", "inputs TEXT"),
        ] {
            let probe = format!("SELECT {col} FROM runs LIMIT 0");
            if j.conn.prepare(&probe).is_err() {
                j.write(|tx| {
                    if tx.prepare(&probe).is_err() {
                        tx.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {decl}"))?;
                    }
                    Ok(())
                })?;
            }
        }
        Ok(j)
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        Error::Journal {
            path: self.path.clone(),
            source: e,
        }
    }

    /// Run `f` in one IMMEDIATE transaction, retried while the database is
    /// busy; returns what `f` returned once committed.
    fn write<T>(
        &mut self,
        mut f: impl FnMut(&rusqlite::Transaction) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let conn = &mut self.conn;
        let r = retrying(|| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        });
        r.map_err(|e| self.err(e))
    }

    /// Claim run `id` for this process on `slot` (None: no slot): claimed
    /// when it was not running, not done, (if failed) has attempts left
    /// (`max_attempts` in all), and no running run holds the slot.
    #[allow(clippy::too_many_arguments)]
    pub fn claim(
        &mut self,
        id: &str,
        candidate: &str,
        n: u64,
        seed: u64,
        max_attempts: u32,
        slot: Option<&str>,
    ) -> Result<Claim> {
        let me = me();
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO runs (id, candidate, n, seed, state, attempts) VALUES (?1, ?2, ?3, ?4, 'queued', 0)",
                params![id, candidate, n as i64, seed as i64],
            )?;
            if let Some(s) = slot {
                let busy: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM runs WHERE state = 'running' AND slot = ?1",
                    params![s],
                    |r| r.get(0),
                )?;
                if busy > 0 {
                    return Ok(Claim::SlotBusy);
                }
            }
            let changed = tx.execute(
                "UPDATE runs SET state = 'running', attempts = attempts + 1, owner = ?2, started = ?3,
                    handle = NULL, exit_status = NULL, reason = NULL, finished = NULL, slot = ?5
                 WHERE id = ?1 AND (state IN ('queued', 'interrupted') OR (state = 'failed' AND attempts < ?4 + granted))",
                params![id, me, now(), max_attempts, slot],
            )?;
            if changed == 1 {
                event(tx, id, &match slot {
                    Some(s) => format!("claimed on slot {s}"),
                    None => "claimed".into(),
                })?;
                Ok(Claim::Claimed)
            } else {
                Ok(Claim::Taken)
            }
        })
    }

    /// Give every failed run its attempts back, so it is claimed again up
    /// to the plan's `retries + 1` more attempts (numbered on from its last:
    /// each attempt keeps its own folder); returns how many runs. The reason
    /// and log of the last failure stay until the run is claimed.
    pub fn retry_failed(&mut self) -> Result<usize> {
        self.write(|tx| {
            let ids: Vec<String> = {
                let mut st =
                    tx.prepare("SELECT id FROM runs WHERE state = 'failed' ORDER BY id")?;
                let rows = st.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for id in &ids {
                tx.execute(
                    "UPDATE runs SET granted = attempts WHERE id = ?1 AND state = 'failed'",
                    params![id],
                )?;
                event(tx, id, "attempts given back to retry it")?;
            }
            Ok(ids.len())
        })
    }

    /// Queue finished run `id` (done or failed, not running) to run again,
    /// `why` in its reason and the event log: its loss is cleared, and its
    /// attempts go on from its last (each keeps its own folder). False when
    /// it is running or absent.
    pub fn run_again(&mut self, id: &str, why: &str) -> Result<bool> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE runs SET state = 'queued', granted = attempts, loss = NULL, exit_status = NULL,
                    duration = NULL, finished = NULL, reason = ?2
                 WHERE id = ?1 AND state IN ('done', 'failed', 'interrupted', 'queued')",
                params![id, why],
            )?;
            if n == 1 {
                event(tx, id, &format!("queued to run again: {why}"))?;
            }
            Ok(n == 1)
        })
    }

    /// Record where the attempt runs (pid or job id), its log, and what
    /// determines its result (`inputs`, [`Record::inputs`]).
    pub fn launched(&mut self, id: &str, handle: &str, log_path: &str, inputs: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE runs SET handle = ?2, log_path = ?3, inputs = ?4 WHERE id = ?1",
                params![id, handle, log_path, inputs],
            )?;
            Ok(())
        })
    }

    /// Record the loss of a run this process owns (false: it no longer
    /// owns it, e.g. it was taken over past its timeout; nothing changes).
    /// `duration` is None for the result of an attempt that ended while its
    /// slaw was dead (an adopted orphan).
    pub fn finish_done(
        &mut self,
        id: &str,
        exit: Option<i64>,
        loss: f64,
        duration: Option<f64>,
    ) -> Result<bool> {
        let me = me();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE runs SET state = 'done', exit_status = ?2, loss = ?3, duration = ?4, finished = ?5, reason = NULL
                 WHERE id = ?1 AND state = 'running' AND owner = ?6",
                params![id, exit, loss, duration, now(), me],
            )?;
            if n == 1 {
                event(tx, id, if duration.is_some() { "done" } else { "done: the result its dead slaw left was adopted" })?;
            }
            Ok(n == 1)
        })
    }

    /// Record a failure of a run this process owns; `log`: the file to read
    /// about it (false: it no longer owns the run; nothing changes).
    pub fn finish_failed(
        &mut self,
        id: &str,
        exit: Option<i64>,
        duration: f64,
        reason: &str,
        log: Option<&str>,
    ) -> Result<bool> {
        let me = me();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE runs SET state = 'failed', exit_status = ?2, duration = ?3, finished = ?4, reason = ?5,
                    log_path = COALESCE(?7, log_path)
                 WHERE id = ?1 AND state = 'running' AND owner = ?6",
                params![id, exit, duration, now(), reason, me, log],
            )?;
            if n == 1 {
                event(tx, id, &format!("failed: {reason}"))?;
            }
            Ok(n == 1)
        })
    }

    /// Take over run `r`, still running under another owner who has not
    /// reported it past the plan's timeout (`started` unchanged since `r`
    /// was read): true when this process now owns it.
    pub fn take_over(&mut self, r: &Record, why: &str) -> Result<bool> {
        let me = me();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE runs SET owner = ?2 WHERE id = ?1 AND state = 'running' AND owner IS ?3 AND started IS ?4",
                params![r.id, me, r.owner, r.started],
            )?;
            if n == 1 {
                event(tx, &r.id, &format!("taken over: {why}"))?;
            }
            Ok(n == 1)
        })
    }

    /// Give a run back (this process stops before it finished): it will run
    /// again, without counting the attempt.
    pub fn release(&mut self, id: &str, reason: &str) -> Result<()> {
        let me = me();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE runs SET state = 'interrupted', attempts = MAX(attempts - 1, 0), reason = ?2
                 WHERE id = ?1 AND state = 'running' AND owner = ?3",
                params![id, reason, me],
            )?;
            if n == 1 {
                event(tx, id, &format!("released: {reason}"))?;
            }
            Ok(())
        })
    }

    /// Runs marked running by a process of this host that no longer exists
    /// (see [`owner_dead`]): their slaw was killed. Read only: see
    /// [`Journal::adopt`].
    pub fn orphans(&self) -> Result<Vec<Record>> {
        Ok(orphans_in(self.all()?))
    }

    /// Take over orphan `r` (still running under its dead owner): true when
    /// this process now owns it and must stop what is left of it, then
    /// [`Journal::release`] it. While owned, nobody else can claim it.
    pub fn adopt(&mut self, r: &Record) -> Result<bool> {
        let me = me();
        let owner = r.owner.clone();
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE runs SET owner = ?2 WHERE id = ?1 AND state = 'running' AND owner IS ?3",
                params![r.id, me, owner],
            )?;
            if n == 1 {
                event(tx, &r.id, "adopted: its slaw process died")?;
            }
            Ok(n == 1)
        })
    }

    /// The record of run `id`, if the journal has it.
    pub fn get(&self, id: &str) -> Result<Option<Record>> {
        self.conn
            .query_row(
                &format!("SELECT {COLS} FROM runs WHERE id = ?1"),
                params![id],
                row_to_record,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every row of the query `sql` (no parameters), each read by `row`.
    fn rows<T>(
        &self,
        sql: &str,
        row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut st = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], row)
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Every run's record, ordered by id.
    pub fn all(&self) -> Result<Vec<Record>> {
        self.rows(
            &format!("SELECT {COLS} FROM runs ORDER BY id"),
            row_to_record,
        )
    }

    /// The event log: (run, event), oldest first.
    pub fn events(&self) -> Result<Vec<(String, String)>> {
        self.rows("SELECT run, event FROM events ORDER BY rowid", |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
    }

    /// How many times each run was claimed (from the event log).
    pub fn claims(&self) -> Result<Vec<(String, u32)>> {
        self.rows(
            "SELECT run, COUNT(*) FROM events WHERE event LIKE 'claimed%' GROUP BY run ORDER BY run",
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)),
        )
    }
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        candidate TEXT NOT NULL,
        n INTEGER NOT NULL,
        seed INTEGER NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        owner TEXT,
        handle TEXT,
        started REAL,
        finished REAL,
        exit_status INTEGER,
        loss REAL,
        duration REAL,
        log_path TEXT,
        reason TEXT,
        slot TEXT,
        granted INTEGER NOT NULL DEFAULT 0,
        inputs TEXT
    );
    CREATE TABLE IF NOT EXISTS events (
        at REAL NOT NULL,
        run TEXT NOT NULL,
        event TEXT NOT NULL
    );";

/// Create the journal at `path` whole: built in a temporary file beside it,
/// then hard-linked into place (if another process created it meanwhile,
/// theirs is kept).
fn create(path: &Path) -> std::result::Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "journal".into());
    // Unique per process and per call: threads of one process creating the
    // same journal at the same instant must not share (and delete) one
    // temporary file.
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_file_name(format!(
        ".{name}.new-{}-{}-{call}",
        std::process::id(),
        now().to_bits()
    ));
    let cleanup = |tmp: &Path| {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = tmp.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    };
    let built = (|| {
        let conn = Connection::open(&tmp)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        conn.close().map_err(|(_, e)| e)
    })();
    if let Err(e) = built {
        cleanup(&tmp);
        return Err(e.to_string());
    }
    let linked = match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // A file system without hard links: a rename (a small window).
        Err(_) if !path.exists() => std::fs::rename(&tmp, path),
        other => other,
    };
    cleanup(&tmp);
    linked.map_err(|e| format!("cannot create the journal: {e}"))
}

fn event(tx: &rusqlite::Transaction, id: &str, what: &str) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO events (at, run, event) VALUES (?1, ?2, ?3)",
        params![now(), id, what],
    )?;
    Ok(())
}

/// Whether SQLite refused because another connection holds a lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// SQLite's busy handler: wait 10 ms and try again, for up to 30 s, unless
/// slaw was interrupted (then give up at once: an interrupt is never held
/// up by a lock another process holds).
fn wait_while_busy(calls: i32) -> bool {
    if crate::interrupt::requested() || calls >= 3000 {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(10));
    true
}

/// Call `f` again while SQLite answers busy/locked, with a growing, jittered
/// pause, for up to a minute, unless slaw was interrupted (the busy handler
/// covers ordinary waits; this covers the cases where SQLite refuses
/// without waiting).
fn retrying<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut pause_ms = 2u64;
    loop {
        match f() {
            Err(e)
                if is_busy(&e)
                    && std::time::Instant::now() < deadline
                    && !crate::interrupt::requested() =>
            {
                let jitter = (std::process::id() as u64 ^ now().to_bits()) % pause_ms.max(1);
                std::thread::sleep(std::time::Duration::from_millis(pause_ms + jitter));
                pause_ms = (pause_ms * 2).min(200);
            }
            other => return other,
        }
    }
}

const COLS: &str =
    "id, candidate, n, seed, state, attempts, owner, handle, exit_status, loss, duration, log_path, reason, started, slot, granted, inputs";

/// The orphans among `records` (see [`Journal::orphans`]).
pub fn orphans_in(records: Vec<Record>) -> Vec<Record> {
    records
        .into_iter()
        .filter(|r| r.state == State::Running && r.owner.as_deref().is_some_and(owner_dead))
        .collect()
}

/// A cell of the journal as the error shows it: its SQLite value.
fn journal_cell(r: &rusqlite::Row, i: usize) -> String {
    use rusqlite::types::ValueRef;
    match r.get_ref(i) {
        Ok(ValueRef::Null) => "an empty cell (NULL)".into(),
        Ok(ValueRef::Integer(v)) => format!("{v}"),
        Ok(ValueRef::Real(v)) => format!("{v}"),
        Ok(ValueRef::Text(t)) => format!("the text '{}'", String::from_utf8_lossy(t)),
        Ok(ValueRef::Blob(_)) => "binary data".into(),
        Err(_) => "a cell that cannot be read".into(),
    }
}

/// One journal row read into a [`Record`], every cell checked: a row the
/// runner cannot act on (an unknown state, a negative size, a finished run
/// without a positive finite loss, text where a number belongs) is an error
/// naming the run and the column, never a run taken as something else (an
/// unknown state read as one the runner never claims made `slaw run` wait
/// for it forever).
fn row_to_record(r: &rusqlite::Row) -> rusqlite::Result<Record> {
    let id: String = r.get(0).map_err(|_| {
        bad_row(format!(
            "a run whose column 'id' holds {}",
            journal_cell(r, 0)
        ))
    })?;
    let bad = |i: usize, what: &str| {
        bad_row(format!(
            "run '{id}', column '{}': {} {what}",
            COLS.split(", ").nth(i).unwrap_or("?"),
            journal_cell(r, i)
        ))
    };
    macro_rules! cell {
        ($i:expr, $what:expr) => {
            r.get($i).map_err(|_| bad($i, $what))?
        };
    }
    let count = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = r.get(i).map_err(|_| bad(i, "is not a whole number"))?;
        u64::try_from(v).map_err(|_| bad(i, "is negative"))
    };
    let small = |i: usize| -> rusqlite::Result<u32> {
        let v: i64 = r.get(i).map_err(|_| bad(i, "is not a whole number"))?;
        u32::try_from(v).map_err(|_| bad(i, "is not a count of attempts (0 or more)"))
    };
    let state_text: String = cell!(4, "is not a state");
    let state = State::parse(&state_text).ok_or_else(|| {
        bad(
            4,
            "is not a state (queued, running, done, failed or interrupted)",
        )
    })?;
    let loss: Option<f64> = cell!(9, "is not a number");
    if state == State::Done && !loss.is_some_and(|l| l.is_finite() && l > 0.0) {
        return Err(bad(
            9,
            "is not the loss of a finished run (a finite number > 0)",
        ));
    }
    Ok(Record {
        candidate: cell!(1, "is not a candidate's id"),
        n: count(2)?,
        seed: count(3)?,
        state,
        attempts: small(5)?,
        owner: cell!(6, "is not a process"),
        handle: cell!(7, "is not a process or job id"),
        exit_status: cell!(8, "is not an exit status"),
        loss,
        duration: cell!(10, "is not a number of seconds"),
        log_path: cell!(11, "is not a path"),
        reason: cell!(12, "is not a text"),
        started: cell!(13, "is not a time"),
        slot: cell!(14, "is not a slot"),
        granted: small(15)?,
        inputs: cell!(16, "is not a text"),
        id,
    })
}

/// The error of a journal row the runner cannot read (see
/// [`row_to_record`]); the journal's path goes before it. (The variant
/// is the one whose message is the text alone, whatever rusqlite's features.)
fn bad_row(what: String) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(
        format!(
            "{what}: the journal was edited or damaged; restore it, or delete that run's row to \
             run it again"
        )
        .into(),
    )
}

/// Whether a process with this pid exists (signal 0 probes without sending).
pub fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks for the process.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_settled_when_done_or_failed_with_no_attempts_left() {
        let rec = |state, attempts, granted| Record {
            id: "x|n=1|seed=0".into(),
            candidate: "x".into(),
            n: 1,
            seed: 0,
            state,
            attempts,
            owner: None,
            handle: None,
            exit_status: None,
            loss: None,
            duration: None,
            log_path: None,
            reason: None,
            started: None,
            slot: None,
            granted,
            inputs: None,
        };
        // (state, attempts, granted) -> settled with 2 attempts allowed.
        for (state, attempts, granted, settled) in [
            (State::Done, 1, 0, true),
            (State::Failed, 1, 0, false),
            (State::Failed, 2, 0, true),
            (State::Failed, 2, 2, false),
            (State::Failed, 4, 2, true),
            (State::Running, 2, 0, false),
            (State::Queued, 0, 0, false),
            (State::Interrupted, 2, 0, false),
        ] {
            let r = rec(state, attempts, granted);
            assert_eq!(r.settled(2), settled, "{state:?} {attempts} {granted}");
            assert_eq!(
                r.failed_for_good(2),
                settled && state == State::Failed,
                "{state:?} {attempts} {granted}"
            );
        }
    }

    #[test]
    fn claim_is_exclusive_and_retries_are_bounded() {
        let dir = tempfile::TempDir::new().unwrap();
        let p = dir.path().join("j.sqlite");
        let mut a = Journal::open(&p).unwrap();
        let mut b = Journal::open(&p).unwrap();
        assert!(a.claim("x|n=1|seed=0", "x", 1, 0, 2, None).unwrap() == Claim::Claimed);
        assert!(b.claim("x|n=1|seed=0", "x", 1, 0, 2, None).unwrap() != Claim::Claimed);
        a.finish_failed("x|n=1|seed=0", Some(1), 0.1, "non-zero exit 1", None)
            .unwrap();
        assert!(b.claim("x|n=1|seed=0", "x", 1, 0, 2, None).unwrap() == Claim::Claimed);
        b.finish_failed("x|n=1|seed=0", Some(1), 0.1, "non-zero exit 1", None)
            .unwrap();
        assert!(
            a.claim("x|n=1|seed=0", "x", 1, 0, 2, None).unwrap() != Claim::Claimed,
            "no attempts left"
        );
        assert!(a.claim("y|n=1|seed=0", "y", 1, 0, 1, None).unwrap() == Claim::Claimed);
        a.finish_done("y|n=1|seed=0", Some(0), 2.5, Some(0.2))
            .unwrap();
        assert!(
            b.claim("y|n=1|seed=0", "y", 1, 0, 1, None).unwrap() != Claim::Claimed,
            "done runs stay done"
        );
        let r = b.get("y|n=1|seed=0").unwrap().unwrap();
        assert_eq!((r.state, r.loss, r.attempts), (State::Done, Some(2.5), 1));
        let r = b.get("x|n=1|seed=0").unwrap().unwrap();
        assert_eq!(r.reason.as_deref(), Some("non-zero exit 1"));
    }
}

#[cfg(test)]
mod orphans {
    use super::*;

    #[test]
    fn an_orphan_is_adopted_once_released_and_run_again_without_using_an_attempt() {
        let dir = tempfile::TempDir::new().unwrap();
        let p = dir.path().join("j.sqlite");
        let mut a = Journal::open(&p).unwrap();
        let mut b = Journal::open(&p).unwrap();
        assert!(a.claim("r|n=1|seed=0", "r", 1, 0, 1, None).unwrap() == Claim::Claimed);
        assert!(
            a.orphans().unwrap().is_empty(),
            "its owner (this process) is alive"
        );
        // A dead owner: a child that has exited and been reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        a.conn
            .execute(
                "UPDATE runs SET owner = ?1",
                params![format!("{}:{dead}", hostname())],
            )
            .unwrap();
        let o = a.orphans().unwrap();
        assert_eq!(o.len(), 1);
        // `slaw status` says the run's slaw is gone (probe47 7c).
        let note = crate::report::orphan_note(&a.all().unwrap(), None).unwrap();
        assert!(note.contains("r|n=1|seed=0"), "{note}");
        assert!(
            note.starts_with("1 of the runs counted as running"),
            "{note}"
        );
        assert!(a.adopt(&o[0]).unwrap());
        assert!(
            !b.adopt(&o[0]).unwrap(),
            "only one process adopts an orphan"
        );
        assert!(
            b.orphans().unwrap().is_empty(),
            "adopted: owned by a live process"
        );
        assert!(crate::report::orphan_note(&b.all().unwrap(), None).is_none());
        assert!(
            b.claim("r|n=1|seed=0", "r", 1, 0, 1, None).unwrap() != Claim::Claimed,
            "still running while adopted"
        );
        a.release("r|n=1|seed=0", "its slaw process died").unwrap();
        assert!(
            b.claim("r|n=1|seed=0", "r", 1, 0, 1, None).unwrap() == Claim::Claimed,
            "the attempt was not counted"
        );
    }
}

#[cfg(test)]
mod concurrency {
    use super::*;

    /// Many connections creating one fresh journal at the same instant and
    /// claiming the same runs: no "database is locked", each run claimed once.
    #[test]
    fn simultaneous_creation_and_claims() {
        for round in 0..5 {
            let dir = tempfile::TempDir::new().unwrap();
            let p = dir.path().join(format!("j{round}.sqlite"));
            let barrier = std::sync::Arc::new(std::sync::Barrier::new(6));
            let handles: Vec<_> = (0..6)
                .map(|_| {
                    let (p, barrier) = (p.clone(), barrier.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        let mut j = Journal::open(&p).unwrap();
                        let mut won = 0;
                        for k in 0..20 {
                            let id = format!("c|n={k}|seed=0");
                            if j.claim(&id, "c", k, 0, 1, None).unwrap() == Claim::Claimed {
                                j.finish_done(&id, Some(0), 1.0, Some(0.0)).unwrap();
                                won += 1;
                            }
                        }
                        won
                    })
                })
                .collect();
            let total: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
            assert_eq!(total, 20);
            let j = Journal::open(&p).unwrap();
            assert!(j.claims().unwrap().iter().all(|c| c.1 == 1));
        }
    }
}

#[cfg(test)]
mod slots_and_migration {
    use super::*;

    #[test]
    fn a_slot_is_held_by_one_running_run_across_connections() {
        let dir = tempfile::TempDir::new().unwrap();
        let p = dir.path().join("j.sqlite");
        let mut a = Journal::open(&p).unwrap();
        let mut b = Journal::open(&p).unwrap();
        assert_eq!(
            a.claim("x", "x", 1, 0, 1, Some("0")).unwrap(),
            Claim::Claimed
        );
        assert_eq!(
            b.claim("y", "y", 1, 0, 1, Some("0")).unwrap(),
            Claim::SlotBusy
        );
        assert_eq!(
            b.claim("y", "y", 1, 0, 1, Some("1")).unwrap(),
            Claim::Claimed
        );
        a.finish_done("x", Some(0), 1.0, Some(0.1)).unwrap();
        assert_eq!(
            b.claim("z", "z", 1, 0, 1, Some("0")).unwrap(),
            Claim::Claimed
        );
        assert_eq!(b.get("z").unwrap().unwrap().slot.as_deref(), Some("0"));
    }

    #[test]
    fn a_journal_from_before_slots_is_upgraded() {
        let dir = tempfile::TempDir::new().unwrap();
        let p = dir.path().join("old.sqlite");
        let c = Connection::open(&p).unwrap();
        c.execute_batch(&SCHEMA.replace(
            ",\n        slot TEXT,\n        granted INTEGER NOT NULL DEFAULT 0,\n        inputs TEXT",
            "",
        ))
        .unwrap();
        c.execute(
            "INSERT INTO runs (id, candidate, n, seed, state, attempts, loss) VALUES ('a', 'a', 1, 0, 'done', 1, 2.5)",
            [],
        )
        .unwrap();
        drop(c);
        let mut j = Journal::open(&p).unwrap();
        assert_eq!(j.get("a").unwrap().unwrap().loss, Some(2.5));
        assert_eq!(
            j.claim("b", "b", 1, 0, 1, Some("0")).unwrap(),
            Claim::Claimed
        );
    }
}
