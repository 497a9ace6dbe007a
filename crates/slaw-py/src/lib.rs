//! `slaw._native`: the Python extension module behind the `slaw` package.
//!
//! Thin on purpose: every function takes its input table (a file path, or the
//! cells of a DataFrame/dict as text so that bad cells get the library's own
//! row/column messages) and its options as JSON, calls the library as the CLI
//! does, and returns the library's serde form (the CLI's `--json`) as a JSON
//! string. The Python layer (`python/slaw/__init__.py`) decides the shapes
//! users see (dicts, DataFrames, result objects).
//!
//! The work runs on a worker thread with the GIL released; the calling thread
//! wakes every 50 ms to let Python handle signals, so Ctrl-C raises
//! `KeyboardInterrupt` at once (the worker finishes in the background and its
//! result is dropped; a call made while it still runs warns that it shares
//! the cores with it). A panic in the library becomes a `RuntimeError`.

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use serde::Deserialize;
use slaw::error::Setting;
use slaw::table::Table;
use std::path::PathBuf;
use std::sync::atomic::{AtomicIsize, AtomicU8, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

mod commands;
mod figures;

/// Why a call failed.
pub enum Failure {
    Slaw(slaw::Error),
    /// Bad options (a binding-level check, worded like the library's).
    Usage(String),
}

impl From<slaw::Error> for Failure {
    fn from(e: slaw::Error) -> Self {
        Failure::Slaw(e)
    }
}

impl From<serde_json::Error> for Failure {
    fn from(e: serde_json::Error) -> Self {
        Failure::Usage(format!("cannot encode the result: {e}"))
    }
}

pub type Res<T> = std::result::Result<T, Failure>;

pub fn usage<T>(msg: impl Into<String>) -> Res<T> {
    Err(Failure::Usage(msg.into()))
}

/// The keyword argument that sets a library [`Setting`] (as the CLI names
/// its flag).
fn keyword(s: Setting) -> Option<&'static str> {
    Some(match s {
        Setting::Inputs => "x",
        Setting::Predict => "predict",
        Setting::Holdout => "holdout",
        Setting::Budget => "budget",
        Setting::Target => "target",
        Setting::Level => "level",
        Setting::Factors => "factors",
        Setting::Experiment => "experiment_col",
        Setting::DecisionPoint => "at",
        Setting::FormulaParams => "params",
        Setting::LogParams => "log_params",
        Setting::Bounds => "bounds",
        Setting::StartingGrid => "init",
        Setting::Schedule => "schedule",
        Setting::FitUntil => "fit_until",
        Setting::ForecastAt => "at",
        Setting::Derive => "derive",
        Setting::ComputeBudgets => "budgets",
        Setting::LawParams => "params",
        Setting::Space => "space",
        Setting::Method => "method",
        Setting::Laws => "laws",
        Setting::Law => "law",
        Setting::Replicates => "bootstrap",
        Setting::DataSize => "data_size",
        Setting::Spacing => "every",
        Setting::StepBudget => "steps",
        Setting::PredictedSchedules => "predict",
        Setting::WsdSearch => "optimize_wsd",
        Setting::DecayFractions => "decay_fractions",
        _ => return None,
    })
}

/// A library error in the words of the Python API: a setting by its
/// keyword argument.
fn message(e: &slaw::Error) -> String {
    match e {
        slaw::Error::Setting { setting, message } => match keyword(*setting) {
            Some(k) => format!("{k}: {message}"),
            None => e.to_string(),
        },
        slaw::Error::StartOutsideBounds {
            param,
            value,
            lower,
            upper,
        } => format!(
            "init: starting value {} of '{param}' is outside its bounds [{}, {}] \
             (widen them with bounds={{'{param}': (LOW, HIGH)}})",
            slaw::numbers::shortest(*value),
            slaw::numbers::shortest(*lower),
            slaw::numbers::shortest(*upper)
        ),
        // The inner error in the package's words, where it was.
        slaw::Error::Located { location, source } => format!("{location}: {}", message(source)),
        e => e.to_string(),
    }
}

fn to_py(e: Failure) -> PyErr {
    match e {
        Failure::Usage(m) => PyValueError::new_err(m),
        Failure::Slaw(e) => {
            let mut msg = message(&e);
            // A missing column: the one probably meant (as the CLI's hint).
            if let Some(h) = slaw::near_column::hint(&msg) {
                msg = format!("{msg} ({h})");
            }
            match e.innermost() {
                slaw::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                    PyFileNotFoundError::new_err(msg)
                }
                slaw::Error::Io { .. } => PyOSError::new_err(msg),
                slaw::Error::Fit(_) => PyRuntimeError::new_err(msg),
                _ => PyValueError::new_err(msg),
            }
        }
    }
}

/// An input table: a file, a file already read ([`ReadFile`]), or cells
/// built in Python.
pub enum Input {
    Path(PathBuf),
    /// A file read once: its path, its table, and the name its run takes
    /// instead of the file's stem (a dict's key), if given.
    Read(PathBuf, Arc<Table>, Option<String>),
    Cells(Table),
}

impl Input {
    pub fn table(&self) -> Res<std::borrow::Cow<'_, Table>> {
        match self {
            Input::Path(p) => Ok(std::borrow::Cow::Owned(Table::read(p)?)),
            Input::Read(_, t, _) => Ok(std::borrow::Cow::Borrowed(t)),
            Input::Cells(t) => Ok(std::borrow::Cow::Borrowed(t)),
        }
    }
    /// The file's path, for an input read from one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Input::Path(p) | Input::Read(p, _, _) => Some(p),
            Input::Cells(_) => None,
        }
    }
    /// The input as errors name it: the file's path, or the table's source.
    pub fn name(&self) -> String {
        match self {
            Input::Path(p) | Input::Read(p, _, _) => p.display().to_string(),
            Input::Cells(t) => t.source.clone(),
        }
    }
    /// The name of a single curve read from this input (a file's stem, or
    /// the name given when it was read).
    pub fn stem(&self) -> String {
        match self {
            Input::Read(_, _, Some(name)) => name.clone(),
            Input::Path(p) | Input::Read(p, _, None) => p
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("curve")
                .to_string(),
            Input::Cells(t) => t.source.clone(),
        }
    }
}

/// A file read once (`_read`), to hand to several calls that would each
/// read it again (the input column chosen, then the fit): what they get is
/// what a path gives them, from one reading.
#[pyclass(frozen, module = "slaw._native")]
struct ReadFile {
    path: PathBuf,
    table: Arc<Table>,
    /// The run's name instead of the file's stem (`schedule`'s dict key).
    name: Option<String>,
}

#[pymethods]
impl ReadFile {
    /// The file's path.
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }
    fn __repr__(&self) -> String {
        format!(
            "<slaw file {} read: {} rows>",
            self.path.display(),
            self.table.len()
        )
    }
}

/// Read a file as the CLI reads it, once, for several calls; `name`: the
/// name of its run instead of the file's stem (errors still name the file).
#[pyfunction]
#[pyo3(signature = (path, name = None))]
fn _read(py: Python<'_>, path: PathBuf, name: Option<String>) -> PyResult<ReadFile> {
    let p = path.clone();
    let table = run(py, move || Ok(Table::read(&p)?))?;
    Ok(ReadFile {
        path,
        table: Arc::new(table),
        name,
    })
}

/// `data`: a path (str), a file already read (`_read`), or `(source,
/// columns, cells, first_row)` with the cells column by column as text; rows
/// are numbered from `first_row`.
fn input(data: &Bound<'_, PyAny>) -> PyResult<Input> {
    if let Ok(r) = data.extract::<PyRef<'_, ReadFile>>() {
        return Ok(Input::Read(
            r.path.clone(),
            Arc::clone(&r.table),
            r.name.clone(),
        ));
    }
    if let Ok(p) = data.extract::<PathBuf>() {
        return Ok(Input::Path(p));
    }
    let (source, columns, cells, first_row): (String, Vec<String>, Vec<Vec<String>>, usize) =
        data.extract().map_err(|_| {
            PyValueError::new_err(
                "data must be a path, a pandas DataFrame or a dict of columns".to_string(),
            )
        })?;
    if columns.len() != cells.len() {
        return Err(PyValueError::new_err(format!(
            "{source}: {} column names but {} columns",
            columns.len(),
            cells.len()
        )));
    }
    let n = cells.first().map_or(0, Vec::len);
    if let Some((name, c)) = columns.iter().zip(&cells).find(|(_, c)| c.len() != n) {
        return Err(PyValueError::new_err(format!(
            "{source}: column '{name}' has {} values but the first column has {n}",
            c.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = columns.iter().find(|c| !seen.insert(c.as_str())) {
        return Err(PyValueError::new_err(format!(
            "{source}: the column name '{dup}' appears twice"
        )));
    }
    let mut table = Table::new(&source, columns);
    for r in 0..n {
        table
            .push_row(first_row + r, cells.iter().map(|c| c[r].as_str()))
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
    }
    Ok(Input::Cells(table))
}

fn options<T: for<'de> Deserialize<'de>>(json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| PyValueError::new_err(option_error(json, &e)))
}

/// A bad keyword argument's message names the argument (the options' JSON
/// key before the error's position), not a line and column of JSON the user
/// never wrote: "option 'bootstrap': invalid value: integer `-1`, expected
/// usize".
fn option_error(json: &str, e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .replace("expected usize", "expected a whole number >= 0")
        .replace("expected u64", "expected a whole number >= 0");
    // The options are one line of JSON (json.dumps); the key is the last
    // `"name":` before the column the error points at.
    let key = (e.line() == 1)
        .then(|| json.get(..e.column().min(json.len())))
        .flatten()
        .and_then(|head| {
            let colon = head.rfind("\":")?;
            let open = head[..colon].rfind('"')?;
            Some(head[open + 1..colon].to_string())
        });
    match key {
        Some(k) => format!("option '{k}': {msg}"),
        None => format!("options: {msg}"),
    }
}

/// Computations whose caller was interrupted (Ctrl-C) and that still run:
/// they hold the cores until they end, so a call made meanwhile is slow.
static ABANDONED: AtomicIsize = AtomicIsize::new(0);

/// A worker's state: running, done, or abandoned by its caller.
const RUNNING: u8 = 0;
const DONE: u8 = 1;
const LEFT: u8 = 2;

/// Run `f` on a worker thread with the GIL released, checking for signals
/// (Ctrl-C) every 50 ms; a panic becomes a `RuntimeError`. While an
/// interrupted computation still runs in the background, a call warns that
/// it shares the cores with it.
fn run<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> Res<T> + Send + 'static,
{
    let left = ABANDONED.load(Ordering::SeqCst);
    if left > 0 {
        let msg = format!(
            "{left} interrupted slaw computation{} still running in the background (Ctrl-C \
             stops the wait, not the work): this call shares the cores with {} until {} \
             end{}",
            if left == 1 { " is" } else { "s are" },
            if left == 1 { "it" } else { "them" },
            if left == 1 { "it" } else { "they" },
            if left == 1 { "s" } else { "" },
        );
        let category = py.get_type::<pyo3::exceptions::PyUserWarning>();
        py.import("warnings")?
            .call_method1("warn", (msg, category, 3))?;
    }
    let state = Arc::new(AtomicU8::new(RUNNING));
    let worker_state = Arc::clone(&state);
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("slaw-worker".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            if worker_state.swap(DONE, Ordering::SeqCst) == LEFT {
                ABANDONED.fetch_sub(1, Ordering::SeqCst);
            }
            let _ = tx.send(r);
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a worker thread: {e}")))?;
    // On an interrupt the worker, if still running, is counted as abandoned.
    let interrupted = |e: PyErr| {
        ABANDONED.fetch_add(1, Ordering::SeqCst);
        if state
            .compare_exchange(RUNNING, LEFT, Ordering::SeqCst, Ordering::SeqCst)
            .is_err()
        {
            ABANDONED.fetch_sub(1, Ordering::SeqCst);
        }
        e
    };
    let mut rx = rx;
    loop {
        let (got, back) = py.detach(move || (rx.recv_timeout(Duration::from_millis(50)), rx));
        rx = back;
        match got {
            Ok(Ok(r)) => return r.map_err(to_py),
            Ok(Err(panic)) => {
                let msg = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".into());
                return Err(PyRuntimeError::new_err(format!(
                    "internal error in slaw (a bug; please report it): {msg}"
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => py.check_signals().map_err(interrupted)?,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err("the slaw worker thread ended"))
            }
        }
    }
}

/// The law catalog as JSON (as `slaw laws --json`).
#[pyfunction]
fn laws() -> PyResult<String> {
    commands::laws().map_err(to_py)
}

/// Fit a law (`slaw fit --json`). `options`: JSON of the fit's options.
#[pyfunction]
fn fit(py: Python<'_>, data: &Bound<'_, PyAny>, options_json: &str) -> PyResult<String> {
    let data = input(data)?;
    let o: commands::FitOpts = options(options_json)?;
    run(py, move || commands::fit(&data, &o))
}

/// `fit`, also returning the seconds spent inside the library call (for the
/// benchmark of the Python call overhead).
#[pyfunction]
fn _fit_timed(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    options_json: &str,
) -> PyResult<(String, f64)> {
    let data = input(data)?;
    let o: commands::FitOpts = options(options_json)?;
    run(py, move || {
        let t = std::time::Instant::now();
        let out = commands::fit(&data, &o)?;
        Ok((out, t.elapsed().as_secs_f64()))
    })
}

/// Fit several laws and rank them (`slaw compare --json`).
#[pyfunction]
fn compare(py: Python<'_>, data: &Bound<'_, PyAny>, options_json: &str) -> PyResult<String> {
    let data = input(data)?;
    let o: commands::CompareOpts = options(options_json)?;
    run(py, move || commands::compare(&data, &o))
}

/// A law's predictions at points (one row per point, one value per input).
#[pyfunction]
fn predict(law_json: &str, params: Vec<f64>, points: Vec<Vec<f64>>) -> PyResult<Vec<f64>> {
    let spec: commands::LawSpec = options(law_json)?;
    commands::predict(&spec, &params, &points).map_err(to_py)
}

/// Rank candidate models (`slaw select --json`); `references` are the
/// same candidates' tables on other tasks (`slaw select --reference`).
#[pyfunction]
#[pyo3(signature = (data, options_json, references = Vec::new()))]
fn select(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    options_json: &str,
    references: Vec<Bound<'_, PyAny>>,
) -> PyResult<String> {
    let data = input(data)?;
    let references = references
        .iter()
        .map(|r| input(r))
        .collect::<PyResult<Vec<Input>>>()?;
    let o: commands::SelectOpts = options(options_json)?;
    run(py, move || commands::select(&data, &references, &o))
}

/// Forecast loss curves (`slaw forecast --json`; always a list, one per run).
#[pyfunction]
fn forecast(py: Python<'_>, data: &Bound<'_, PyAny>, options_json: &str) -> PyResult<String> {
    let data = input(data)?;
    let o: commands::ForecastOpts = options(options_json)?;
    run(py, move || commands::forecast(&data, &o))
}

/// What-if learning-rate schedules from runs (`slaw schedule --json`):
/// `data` the runs' tables (files or cells), one or several.
#[pyfunction]
fn schedule(py: Python<'_>, data: Vec<Bound<'_, PyAny>>, options_json: &str) -> PyResult<String> {
    let data = data.iter().map(input).collect::<PyResult<Vec<Input>>>()?;
    let o: commands::ScheduleOpts = options(options_json)?;
    run(py, move || commands::schedule(&data, &o))
}

/// The joint fine-tuning laws per method (`slaw joint --json`).
#[pyfunction]
fn joint(py: Python<'_>, data: &Bound<'_, PyAny>, options_json: &str) -> PyResult<String> {
    let data = input(data)?;
    let o: commands::RunCols = options(options_json)?;
    run(py, move || commands::joint(&data, &o))
}

/// Which fine-tuning method for a setting (`slaw methods --json`).
#[pyfunction]
fn methods(py: Python<'_>, data: &Bound<'_, PyAny>, options_json: &str) -> PyResult<String> {
    let data = input(data)?;
    let o: commands::MethodsOpts = options(options_json)?;
    run(py, move || commands::methods(&data, &o))
}

/// Compute-optimal allocation (`slaw allocate --json`); `data` may be None
/// with `params` in the options.
#[pyfunction]
#[pyo3(signature = (data, options_json))]
fn allocate(
    py: Python<'_>,
    data: Option<&Bound<'_, PyAny>>,
    options_json: &str,
) -> PyResult<String> {
    let data = data.map(input).transpose()?;
    let o: commands::AllocateOpts = options(options_json)?;
    run(py, move || commands::allocate(data.as_ref(), &o))
}

/// With no input column named (`x` empty in the data options, JSON of the
/// library's `DataSpec`), the table's one numeric column besides the loss
/// (and the group, weight and hold-out columns) as the input, as `slaw fit`
/// and `slaw compare` choose it without `--x` (`DataSpec::choose_input`):
/// `{"x": [...], "note": "x: n (...)"}` (the note null when inputs are
/// named). No candidate, or several, is the library's error listing them.
#[pyfunction]
fn _choose_input(py: Python<'_>, data: &Bound<'_, PyAny>, options_json: &str) -> PyResult<String> {
    let data = input(data)?;
    let mut spec: slaw::observations::DataSpec = options(options_json)?;
    run(py, move || {
        let note = spec.choose_input(&*data.table()?).map_err(|e| {
            // "name the input column(s)" gets the keyword; other errors
            // (no loss column, no rows) are the library's as they are.
            let msg = message(&e);
            if msg.ends_with("name the input column(s)") {
                Failure::Usage(format!("{msg} with x="))
            } else {
                Failure::from(e)
            }
        })?;
        Ok(serde_json::json!({"x": spec.x, "note": note}).to_string())
    })
}

/// With the step column not named and absent, the table's one numeric
/// column besides the loss (and the rate, run and position columns) as the
/// step, as `slaw forecast` chooses it (`forecast::job::Spec::choose_step`;
/// `options_json`: the forecast's options): `{"step_col": ..., "note": ...}`
/// (the note null when nothing was chosen). Several candidates are the
/// missing column's error listing them.
#[pyfunction]
fn _choose_step(py: Python<'_>, data: &Bound<'_, PyAny>, options_json: &str) -> PyResult<String> {
    let data = input(data)?;
    let mut spec: commands::ForecastOpts = options(options_json)?;
    run(py, move || {
        let note = spec.choose_step(&*data.table()?)?;
        Ok(serde_json::json!({"step_col": spec.step_col, "note": note}).to_string())
    })
}

/// The loss column a forecast reads from a table with these columns (the
/// default name also finds a training log's or a W&B export's loss): its
/// name, or None (the forecast then says what is missing).
#[pyfunction]
fn _loss_column(columns: Vec<String>, loss_col: &str) -> Option<String> {
    let t = Table::new("", columns);
    t.loss_column(loss_col).ok().map(|i| t.columns[i].clone())
}

/// Synthetic fine-tuning runs from the published En-De joint laws (Zhang et
/// al.), as CSV text: `method,model_size,pretrain_tokens,data,loss`; noise
/// with the given mean absolute deviation of ln L.
#[pyfunction]
fn _joint_example_csv(mad: f64, seed: u64) -> String {
    use slaw::joint::published::{generate, noise_sd, to_csv, EN_DE};
    to_csv(&generate(&EN_DE, noise_sd(mad), seed))
}

/// The ticks of a log axis over [lo, hi] as the CLI's figures draw it:
/// (labelled ticks as (value, label), unlabelled minor ticks).
#[pyfunction]
fn _log_axis(lo: f64, hi: f64) -> (Vec<(f64, String)>, Vec<f64>) {
    slaw_report::plot::log_axis(lo, hi)
}

/// For tests of the boundary: a panic inside the worker.
#[pyfunction]
fn _panic(py: Python<'_>) -> PyResult<()> {
    run(py, || -> Res<()> {
        panic!("deliberate panic (test of the boundary)")
    })
}

/// For tests of Ctrl-C: sleep `seconds` on the worker.
#[pyfunction]
fn _sleep(py: Python<'_>, seconds: f64) -> PyResult<()> {
    run(py, move || {
        std::thread::sleep(Duration::from_secs_f64(seconds));
        Ok(())
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(laws, m)?)?;
    m.add_function(wrap_pyfunction!(fit, m)?)?;
    m.add_function(wrap_pyfunction!(_fit_timed, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(predict, m)?)?;
    m.add_function(wrap_pyfunction!(select, m)?)?;
    m.add_function(wrap_pyfunction!(forecast, m)?)?;
    m.add_function(wrap_pyfunction!(schedule, m)?)?;
    m.add_function(wrap_pyfunction!(joint, m)?)?;
    m.add_function(wrap_pyfunction!(methods, m)?)?;
    m.add_function(wrap_pyfunction!(allocate, m)?)?;
    m.add_function(wrap_pyfunction!(_joint_example_csv, m)?)?;
    m.add_function(wrap_pyfunction!(_loss_column, m)?)?;
    m.add_function(wrap_pyfunction!(_choose_input, m)?)?;
    m.add_function(wrap_pyfunction!(_read, m)?)?;
    m.add_class::<ReadFile>()?;
    m.add_function(wrap_pyfunction!(_choose_step, m)?)?;
    m.add_function(wrap_pyfunction!(_log_axis, m)?)?;
    m.add_function(wrap_pyfunction!(_panic, m)?)?;
    m.add_function(wrap_pyfunction!(_sleep, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
