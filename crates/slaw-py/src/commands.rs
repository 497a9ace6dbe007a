//! One function per command: options (deserialized from the Python layer's
//! JSON, names and defaults as the CLI's flags) -> the library call the CLI
//! makes -> the CLI's `--json` value as text.

use crate::{usage, Input, Res};
use serde::Deserialize;
use slaw::analysis::{self, FitJob};
use slaw::bootstrap::Resampling;
use slaw::fit::{FitOptions, MultiStart};
use slaw::law::{formula::formula_law, Law};
use slaw::objective::{Loss, Space};
use slaw::observations::{DataSpec, Holdout, Observations};
use slaw::solver::Tolerances;

fn json<T: serde::Serialize>(v: &T) -> Res<String> {
    Ok(serde_json::to_string(v)?)
}

fn level_ok(level: f64) -> Res<()> {
    if !(level > 0.0 && level < 1.0) {
        return usage(format!("level must be between 0 and 1, got {level}"));
    }
    Ok(())
}

pub fn laws() -> Res<String> {
    json(&analysis::law_listing())
}

/// A law by name, or a formula with its parameters, plus bounds and grids.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LawSpec {
    pub law: Option<String>,
    pub formula: Option<String>,
    pub params: Vec<String>,
    pub log_params: Vec<String>,
    /// Input names (the x columns), which a formula refers to.
    pub x: Vec<String>,
    pub bounds: Vec<(String, f64, f64)>,
    pub init: Vec<(String, Vec<f64>)>,
}

fn build_law(s: &LawSpec) -> Res<Law> {
    let mut law = match (&s.law, &s.formula) {
        (Some(name), None) => {
            // params / log_params describe a formula: a built-in law's
            // parameters and their transforms are its own (as the CLI says).
            for (arg, given) in [("params", &s.params), ("log_params", &s.log_params)] {
                if !given.is_empty() {
                    return usage(format!(
                        "{arg}={given:?}: only with formula=; the parameters of law='{name}' and \
                         how they are fitted are its own (see slaw.laws())"
                    ));
                }
            }
            analysis::fit_law(name)?
        }
        (None, Some(f)) => formula_law(f, &s.x, &s.params, &s.log_params)?,
        _ => return usage("give law=NAME or formula=\"...\" with params=[...]"),
    };
    for (name, lo, hi) in &s.bounds {
        if !(lo.is_finite() && hi.is_finite()) {
            return usage(format!("bounds of '{name}' must be finite numbers"));
        }
        law.set_param(name, Some((*lo, *hi)), None)?;
    }
    for (name, grid) in &s.init {
        if grid.is_empty() || grid.iter().any(|v| !v.is_finite()) {
            return usage(format!(
                "init of '{name}': give at least one finite starting value"
            ));
        }
        law.add_starts(name, grid)?;
    }
    Ok(law)
}

pub fn predict(spec: &LawSpec, params: &[f64], points: &[Vec<f64>]) -> Res<Vec<f64>> {
    let law = build_law(spec)?;
    if params.len() != law.n_params() {
        return usage(format!(
            "law '{}' has {} parameters, got {}",
            law.name,
            law.n_params(),
            params.len()
        ));
    }
    points
        .iter()
        .map(|p| {
            if p.len() != law.inputs.len() {
                return usage(format!(
                    "law '{}' takes {} input(s) ({}), got {}",
                    law.name,
                    law.inputs.len(),
                    law.inputs.join(", "),
                    p.len()
                ));
            }
            // Inputs named by their columns where given (as the data were).
            let names: Vec<&str> = law
                .inputs
                .iter()
                .enumerate()
                .map(|(j, n)| spec.x.get(j).unwrap_or(n).as_str())
                .collect();
            for ((v, d), name) in p.iter().zip(&law.domains).zip(&names) {
                if !d.admits(*v) {
                    return usage(format!(
                        "cannot predict at {name} = {v}: law '{}' needs {name} {}",
                        law.name,
                        d.requirement()
                    ));
                }
            }
            Ok(law.predict_finite(p, params, &names)?)
        })
        .collect()
}

/// The fit options shared by fit and compare (the CLI's fit flags); beside
/// the library's data spec in their options.
#[derive(Deserialize)]
#[serde(default)]
pub struct FitSettings {
    pub objective: String,
    pub delta: f64,
    pub space: String,
    pub max_iter: u64,
    pub screen_tol: f64,
    pub starts: String,
}

impl Default for FitSettings {
    fn default() -> Self {
        FitSettings {
            objective: "huber".into(),
            delta: 1e-3,
            space: "log".into(),
            max_iter: 1000,
            screen_tol: 1e-3,
            starts: "3".into(),
        }
    }
}

fn load(
    data: &Input,
    spec: &DataSpec,
    d: &FitSettings,
) -> Res<(Observations, Holdout, FitOptions, Option<String>)> {
    if spec.x.is_empty() {
        return usage("x: name the input column(s), e.g. x=[\"N\", \"D\"]");
    }
    // an event file: the steps where the columns read are logged (the note
    // says how many were dropped), as the CLI's
    let (obs, holdout, note) = spec.read_logged(data.table()?)?;
    if holdout == Holdout::Flagged && spec.holdout_col.is_none() {
        return usage("holdout='column' needs holdout_col=NAME");
    }
    if !(d.delta > 0.0 && d.delta.is_finite()) {
        return usage(format!("delta must be > 0, got {}", d.delta));
    }
    if !(d.screen_tol > 0.0 && d.screen_tol < 1.0) {
        return usage("screen_tol must be between 0 and 1");
    }
    let multistart = if d.starts.trim().eq_ignore_ascii_case("all") {
        MultiStart::All
    } else {
        match d.starts.trim().parse::<usize>() {
            Ok(k) if k >= 1 => MultiStart::Adaptive { agree: k },
            _ => {
                return usage(format!(
                    "starts: '{}' is neither 'all' nor a count of agreeing starts >= 1",
                    d.starts
                ))
            }
        }
    };
    let opts = FitOptions {
        loss: match d.objective.as_str() {
            "huber" => Loss::Huber { delta: d.delta },
            "squared" => Loss::Squared,
            o => return usage(format!("objective: '{o}' is neither 'huber' nor 'squared'")),
        },
        space: match d.space.as_str() {
            "log" => Space::Log,
            "linear" => Space::Linear,
            s => return usage(format!("space: '{s}' is neither 'log' nor 'linear'")),
        },
        tol: Tolerances {
            max_iter: d.max_iter,
            ..Tolerances::default()
        },
        starts: None,
        screen_ftol: d.screen_tol,
        multistart,
        ..FitOptions::default()
    };
    Ok((obs, holdout, opts, note))
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitOpts {
    #[serde(flatten)]
    pub data: DataSpec,
    #[serde(flatten)]
    pub fit: FitSettings,
    pub law: LawSpec,
    pub predict: Vec<Vec<f64>>,
    pub bootstrap: usize,
    pub level: f64,
    pub seed: u64,
    /// Profile-likelihood intervals of the parameters (`slaw fit --profile`).
    pub profile: bool,
}

impl Default for FitOpts {
    fn default() -> Self {
        FitOpts {
            data: DataSpec::default(),
            fit: FitSettings::default(),
            law: LawSpec::default(),
            predict: vec![],
            bootstrap: 0,
            level: 0.95,
            seed: 0,
            profile: false,
        }
    }
}

pub fn fit(data: &Input, o: &FitOpts) -> Res<String> {
    let (obs, holdout, mut opts, note) = load(data, &o.data, &o.fit)?;
    let mut spec_x = o.law.x.clone();
    if spec_x.is_empty() {
        spec_x = o.data.x.clone();
    }
    let spec = LawSpec {
        x: spec_x,
        law: o.law.law.clone(),
        formula: o.law.formula.clone(),
        params: o.law.params.clone(),
        log_params: o.law.log_params.clone(),
        bounds: o.law.bounds.clone(),
        init: o.law.init.clone(),
    };
    let law = build_law(&spec)?;
    // Bounds and starting values given are in the data's units: the search
    // then runs in those units (as the CLI's --bound/--init).
    opts.scale_free = o.law.bounds.is_empty() && o.law.init.is_empty();
    analysis::validate(&law, &obs, opts.space, &o.data.y)?;
    level_ok(o.level)?;
    let job = FitJob {
        law: law.clone(),
        opts,
        holdout,
        bootstrap: o.bootstrap,
        seed: o.seed,
        level: Some(o.level),
        predict: o.predict.clone(),
        profile: o.profile,
    };
    // A group with too few points is skipped (warned about), as the CLI's.
    let (kept, skipped) = analysis::fittable_groups(&job, &obs);
    let obs = kept.unwrap_or(obs);
    let fits = analysis::run(&job, &obs, &|| {})?;
    let warnings: Vec<&str> = note
        .iter()
        .map(|n| n.as_str())
        .chain(skipped.iter().map(|g| g.reason.as_str()))
        .collect();
    // The CLI's `--plot` figure of each group alone (its points, the law,
    // the bootstrap band, the predictions with their intervals), and with
    // several groups the CLI's figure of them all, for `plot()`.
    let y = &o.data.y;
    let group_col = o.data.group.as_deref();
    let figures: Vec<serde_json::Value> = fits
        .iter()
        .map(|g| {
            crate::figures::to_json(&slaw_report::plot::fit_figure(
                &law,
                &obs,
                std::slice::from_ref(g),
                y,
                group_col,
            ))
        })
        .collect();
    let figure_all = (fits.len() > 1).then(|| {
        crate::figures::to_json(&slaw_report::plot::fit_figure(
            &law, &obs, &fits, y, group_col,
        ))
    });
    // The fitted points' range per input, per group (where a new point lies
    // against them, for `FitResult.predict`).
    let ranges: Vec<Vec<(f64, f64)>> = fits
        .iter()
        .map(|g| {
            (0..obs.dim())
                .map(|j| {
                    g.train_idx
                        .iter()
                        .map(|&i| obs.point(i)[j])
                        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                            (lo.min(v), hi.max(v))
                        })
                })
                .collect()
        })
        .collect();
    json(&serde_json::json!({
        "_figures": figures, "_figure_all": figure_all, "_ranges": ranges,
        "law": law.name, "formula": law.formula, "inputs": law.inputs,
        "transforms": law.params.iter().map(|p| p.transform).collect::<Vec<_>>(),
        "bounds": law.params.iter().map(|p| (p.lower, p.upper)).collect::<Vec<_>>(),
        "param_names": law.params.iter().map(|p| p.name.clone()).collect::<Vec<_>>(),
        "groups": fits, "skipped": skipped, "warnings": warnings
    }))
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct CompareOpts {
    #[serde(flatten)]
    pub data: DataSpec,
    #[serde(flatten)]
    pub fit: FitSettings,
    /// Empty: the CLI's default for this many inputs
    /// (`analysis::compare_laws`).
    pub laws: Vec<String>,
    /// auto, holdout or backtest, as `slaw compare --pick`.
    pub pick: Option<String>,
    /// Values of x at which the backtest pick predicts (`--predict`).
    pub predict: Vec<f64>,
    /// The backtest pick's learned drift correction (`--no-drift` when false).
    pub drift: Option<bool>,
}

pub fn compare(data: &Input, o: &CompareOpts) -> Res<String> {
    let laws = if o.laws.is_empty() {
        analysis::compare_laws(o.data.x.len())
    } else {
        o.laws.clone()
    };
    if laws.is_empty() {
        return usage(format!(
            "no catalog law takes {} inputs ({}): give laws=[...]",
            o.data.x.len(),
            o.data.x.join(", ")
        ));
    }
    if let Some(x) = o.predict.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        return usage(format!("predict: {x} is not a value of x > 0"));
    }
    let backtest = match o.pick.as_deref().unwrap_or("auto") {
        "backtest" => true,
        "holdout" => false,
        // As the CLI: the backtest pick for one input with nothing held out.
        "auto" => o.data.x.len() == 1 && !o.data.holdout_given(),
        other => {
            return usage(format!(
                "pick: expected auto, holdout or backtest, got '{other}'"
            ))
        }
    };
    if backtest {
        let (obs, _, opts, note) = load(data, &o.data, &o.fit)?;
        if obs.dim() != 1 {
            return usage(format!(
                "pick='backtest' needs one input column (got {})",
                obs.dim()
            ));
        }
        // As the CLI: laws named as a pick's pool (M4 by its authors'
        // procedure included), the pick's predictions at `predict`.
        let cmp = analysis::backtest_comparison(
            &laws,
            &obs,
            &opts,
            &o.data.y,
            &o.predict,
            o.drift.unwrap_or(true),
        )?;
        let figures = cmp
            .groups
            .iter()
            .map(|g| {
                crate::figures::to_json(&crate::figures::compare_figure(&cmp, &obs, &o.data.y, g))
            })
            .collect();
        // What the CLI prints (the same formatter), for `report()`.
        let text = slaw_report::report::backtest_report(
            &cmp,
            false,
            slaw_report::report::Interface::Python,
        );
        return with_notes(&cmp, note, figures, text);
    }
    if !o.predict.is_empty() {
        return usage(
            "predict: only the backtest pick predicts (one input column, no holdout, pick \
             'auto' or 'backtest'); a hold-out ranking compares laws, it does not combine them",
        );
    }
    let (obs, holdout, opts, note) = load(data, &o.data, &o.fit)?;
    // A law whose inputs or domain do not fit the data is skipped and reported.
    let given = o.data.holdout_given().then_some(holdout);
    let ranked = analysis::compare_by_holdout(&laws, &obs, &opts, given, &o.data.y)?;
    let text = slaw_report::report::compare_report(&ranked);
    with_notes(&ranked, note, Vec::new(), text)
}

/// `compare`'s result (the CLI's `--json`) with the note of reading the
/// data beside it (an event file's steps dropped where a tag is not
/// logged: the CLI's `note:`, which its JSON shapes have no place for):
/// `{"result": ..., "notes": [...]}`, unwrapped by the Python side.
/// `figures`: the backtest pick's figure per group, for `plot()`; `text`:
/// what the CLI prints after its notes, for `report()`.
fn with_notes<T: serde::Serialize>(
    result: &T,
    note: Option<String>,
    figures: Vec<serde_json::Value>,
    text: String,
) -> Res<String> {
    json(&serde_json::json!({
        "result": result, "notes": note.into_iter().collect::<Vec<_>>(), "figures": figures,
        "text": text
    }))
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelectOpts {
    pub target: Option<f64>,
    /// A fraction of the target ("1/64" or 0.015625).
    pub budget: Option<String>,
    pub max_n: Option<f64>,
    /// None: the CLI's default (ats-gap; ats-ref with references).
    pub method: Option<String>,
    pub k: usize,
    pub delta: f64,
    pub bootstrap: usize,
    /// Level of the bootstrap intervals (the law-fit methods').
    pub bootstrap_level: f64,
    pub seed: u64,
    pub level: f64,
    pub tokens_per_example: Option<f64>,
    pub epochs: f64,
    pub model_col: String,
    pub n_col: String,
    pub loss_col: String,
    pub size_col: Option<String>,
}

impl Default for SelectOpts {
    fn default() -> Self {
        SelectOpts {
            target: None,
            budget: None,
            max_n: None,
            method: None,
            k: 3,
            delta: 5.0,
            bootstrap: 200,
            bootstrap_level: slaw::selection::BOOTSTRAP_LEVEL,
            seed: 0,
            level: 0.9,
            tokens_per_example: None,
            epochs: 1.0,
            model_col: "model".into(),
            n_col: "n".into(),
            loss_col: "loss".into(),
            size_col: None,
        }
    }
}

pub fn select(data: &Input, references: &[Input], a: &SelectOpts) -> Res<String> {
    use slaw::selection::{select_located, Budget, Method, Reference, SelectOptions};
    let Some(target) = a.target else {
        return usage("target: the full fine-tuning data size to predict the loss at");
    };
    let long = slaw::datasets::LongColumns {
        model: a.model_col.clone(),
        n: a.n_col.clone(),
        loss: a.loss_col.clone(),
        size: a.size_col.clone(),
        family: None,
    };
    let table = data.table()?;
    let pool = slaw::datasets::candidates_table(&table, &long)?;
    // Messages about one candidate name its row, as the CLI's.
    let rows = slaw::datasets::pool_rows(&table, &long)?;
    drop(table);
    let max_n = match (&a.budget, a.max_n) {
        (Some(b), None) => target * Budget::parse_fraction(b)?,
        (None, Some(m)) => m,
        (Some(_), Some(_)) => {
            return usage(
                "give the budget one way: budget=\"1/R\" (a fraction of target) or max_n=N, \
                 not both",
            )
        }
        (None, None) => {
            return usage("give the budget: budget=\"1/R\" (a fraction of target) or max_n=N")
        }
    };
    let budget = Budget::new(target, max_n)?;
    if a.k < 2 {
        return usage(format!(
            "k must be at least 2 (points of the AtS line), got {}",
            a.k
        ));
    }
    if !(a.delta.is_finite() && a.delta > 0.0) {
        return usage(format!("delta must be a positive number, got {}", a.delta));
    }
    if !(a.epochs.is_finite() && a.epochs > 0.0) {
        return usage(format!(
            "epochs must be a positive number, got {}",
            a.epochs
        ));
    }
    if let Some(t) = a.tokens_per_example {
        if !(t.is_finite() && t > 0.0) {
            return usage(format!(
                "tokens_per_example must be a positive number, got {t}"
            ));
        }
    }
    level_ok(a.level)?;
    // The default as the CLI's: ats-gap, or ats-ref with references.
    let method =
        Method::parse_or_default(a.method.as_deref(), !references.is_empty(), a.k, a.delta)?;
    if !references.is_empty() && !method.kind().needs().reference {
        return usage(format!(
            "reference is read by ats-ref only (the default with a reference), not by {}",
            method.name()
        ));
    }
    let mut refs = Vec::new();
    for r in references {
        let rows = slaw::datasets::candidates_table(&*r.table()?, &long)?;
        refs.push(Reference::checked(
            &pool,
            &rows,
            target,
            &r.name(),
            &data.name(),
        )?);
    }
    level_ok(a.bootstrap_level)?;
    // Too few replicates for the interval's level: the CLI's error.
    let bootstrap = Resampling::new(a.bootstrap, a.bootstrap_level, a.seed);
    bootstrap.check_replicates()?;
    let opts = SelectOptions {
        bootstrap,
        tokens_per_example: a.tokens_per_example,
        epochs: a.epochs,
        level: Some(a.level),
        rank_the_rest: true,
        ..SelectOptions::default()
    };
    let sel = select_located(&pool, method, budget, &opts, &refs, &rows)?;
    let mut v = serde_json::to_value(&sel)?;
    // What the CLI prints (the same formatter), for `report()`: under
    // "_text", which the Python side takes out.
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "_text".into(),
            slaw_report::report::selection_report_in(&sel, slaw_report::report::Interface::Python)
                .into(),
        );
    }
    json(&v)
}

/// The options of `forecast`: the library's forecast spec (its serde form
/// is the keywords).
pub type ForecastOpts = slaw::forecast::job::Spec;

pub fn forecast(data: &Input, a: &ForecastOpts) -> Res<String> {
    level_ok(a.level)?;
    let mut a = a.clone();
    if a.at.iter().any(|v| !v.is_finite()) {
        return usage("at: the steps must be finite numbers");
    }
    let table = data.table()?;
    if a.positions(&table) && a.run_col.is_some() {
        return usage("run_col is not supported with per-position data: one table per run");
    }
    // What the CLI says of the columns it found ("note:"): the step column
    // chosen when the table has none (a file of n,loss: its one numeric
    // column besides the loss), a W&B export's loss and learning rate read
    // for the default names.
    let step_note = a.choose_step(&table)?;
    let notes: Vec<String> = [
        step_note,
        table.loss_column_note(&a.loss_col),
        table.lr_column_note(a.lr_col.as_deref(), &a.loss_col),
    ]
    .into_iter()
    .flatten()
    .collect();
    let runs = a.run(&table, &data.stem())?;
    let mut v = serde_json::to_value(&runs)?;
    // What the CLI prints (the same formatters), for `report()`: one curve
    // its report and the warnings; several runs (or a run skipped) the
    // table of runs. Under "_text" (and each forecast's own report under its
    // "_text"), which the Python side takes out.
    let (outputs, skipped) = (&runs.forecasts, &runs.skipped);
    let text = if outputs.len() + skipped.len() > 1 {
        slaw_report::report::forecast::runs_table(outputs, skipped)
    } else {
        let mut t: String = outputs
            .iter()
            .map(slaw_report::report::forecast::forecast_report)
            .collect();
        for w in &runs.warnings {
            t += &format!("warning: {w}\n");
        }
        t
    };
    if let Some(obj) = v.as_object_mut() {
        obj.insert("_notes".into(), serde_json::json!(notes));
        obj.insert("_text".into(), text.into());
    }
    // Each forecast's curve (step, the law's loss, lo, hi, the observed
    // loss), for `plot()`: under "_curve", which the Python side takes out
    // (`to_dict()` stays the CLI's --json); at most CURVE_POINTS steps,
    // spread evenly over the curve.
    const CURVE_POINTS: usize = 4000;
    if let Some(fs) = v.get_mut("forecasts").and_then(|f| f.as_array_mut()) {
        for (f, o) in fs.iter_mut().zip(&runs.forecasts) {
            let n = o.curve_points.len();
            let every = n.div_ceil(CURVE_POINTS).max(1);
            let curve: Vec<serde_json::Value> = o
                .curve_points
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0 || i + 1 == n)
                .map(|(_, p)| serde_json::json!([p.step, p.loss, p.lo, p.hi, p.observed]))
                .collect();
            if let Some(obj) = f.as_object_mut() {
                obj.insert("_curve".into(), serde_json::Value::Array(curve));
                obj.insert(
                    "_text".into(),
                    slaw_report::report::forecast::forecast_report(o).into(),
                );
            }
        }
    }
    json(&v)
}

/// The options of `schedule`: the library's what-if spec (its serde form is
/// the keywords).
pub type ScheduleOpts = slaw::forecast::whatif_job::Spec;

/// What-if schedules (`slaw schedule --json`) on the runs of `data` (each
/// a file or a table; a table's runs named by its source, a file's by its
/// stem, as the CLI's). The CLI's `--plot` figure travels beside the JSON
/// under "_figure", which the Python side takes out.
pub fn schedule(data: &[Input], a: &ScheduleOpts) -> Res<String> {
    a.check()?;
    if data.is_empty() {
        return usage("data: give the runs' table(s): at least one");
    }
    let paths: Vec<&std::path::Path> = data.iter().filter_map(Input::path).collect();
    slaw::forecast::whatif_job::distinct_files(&paths)?;
    let tables = data.iter().map(Input::table).collect::<Res<Vec<_>>>()?;
    let stems: Vec<String> = data.iter().map(Input::stem).collect();
    let inputs: Vec<(&slaw::table::Table, &str)> = tables
        .iter()
        .zip(&stems)
        .map(|(t, s)| (&**t, s.as_str()))
        .collect();
    let w = a.run(&inputs)?;
    let mut v = serde_json::to_value(&w)?;
    if let Some(obj) = v.as_object_mut() {
        obj.insert(
            "_figure".into(),
            crate::figures::to_json(&slaw_report::plot::forecast::what_if_figure(&w)),
        );
        // What the CLI prints (the same formatter), for `report()`: under
        // "_text", which the Python side takes out.
        obj.insert(
            "_text".into(),
            slaw_report::report::forecast::schedule_report(&w).into(),
        );
    }
    json(&v)
}

/// The columns of `slaw joint` / `slaw methods` (the CLI's `RunArgs`).
#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunCols {
    pub factors: Vec<String>,
    pub pet: Vec<String>,
    pub method_col: String,
    pub data_col: String,
    pub loss_col: String,
    pub experiment_col: Option<String>,
    pub holdout_col: Option<String>,
}

impl Default for RunCols {
    fn default() -> Self {
        RunCols {
            factors: vec![],
            pet: vec![],
            method_col: "method".into(),
            data_col: "data".into(),
            loss_col: "loss".into(),
            experiment_col: None,
            holdout_col: None,
        }
    }
}

fn read_runs(data: &Input, c: &RunCols) -> Res<slaw::joint::Runs> {
    if c.factors.is_empty() {
        return usage("factors: name the factor column(s), e.g. [\"model_size\"]");
    }
    let cols = slaw::joint::RunColumns {
        method: c.method_col.clone(),
        factors: c.factors.clone(),
        pet: c.pet.clone(),
        data: c.data_col.clone(),
        loss: c.loss_col.clone(),
        experiment: c.experiment_col.clone(),
        holdout: c.holdout_col.clone(),
    };
    Ok(slaw::joint::Runs::from_table(&*data.table()?, &cols)?)
}

pub fn joint(data: &Input, c: &RunCols) -> Res<String> {
    let runs = read_runs(data, c)?;
    let j = slaw::joint::fit_joint(&runs, &slaw::joint::default_options())?;
    let mut v = serde_json::to_value(&j)?;
    // The CLI's `--plot` figures (one per method and factor) of either
    // form (`--plot-form`), for `plot()`: under "_figures", which the
    // Python side takes out (`to_dict()` stays the CLI's --json).
    let mut figures = serde_json::Map::new();
    for form in [
        slaw::joint::Form::Multiplicative,
        slaw::joint::Form::Additive,
    ] {
        let figs: Vec<serde_json::Value> =
            slaw_report::plot::joint::joint_figures(&runs, &j.fits, form)
                .iter()
                .map(|(m, f, fig)| serde_json::json!([m, f, crate::figures::to_json(fig)]))
                .collect();
        figures.insert(form.name().to_string(), serde_json::Value::Array(figs));
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("_figures".into(), serde_json::Value::Object(figures));
        // What the CLI prints (the same formatter), for `report()`: under
        // "_text", which the Python side takes out.
        obj.insert(
            "_text".into(),
            slaw_report::report::joint::joint_text(&runs.notes, &j).into(),
        );
    }
    json(&v)
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MethodsOpts {
    #[serde(flatten)]
    pub runs: RunCols,
    /// The setting: (factor, value).
    pub at: Option<(String, f64)>,
    pub data: Option<f64>,
    pub form: String,
    pub bootstrap: usize,
    /// Level of the prediction intervals.
    pub level: f64,
    pub seed: u64,
    /// None: from the runs' and the setting's D_f (`joint::decision::d_range`).
    pub d_range: Option<(f64, f64)>,
    /// "bootstrap" (the default) or "predictive" (`slaw methods --intervals`).
    pub intervals: String,
}

impl Default for MethodsOpts {
    fn default() -> Self {
        MethodsOpts {
            runs: RunCols::default(),
            at: None,
            data: None,
            form: "multiplicative".into(),
            bootstrap: 200,
            level: 0.95,
            seed: 0,
            d_range: None,
            intervals: "bootstrap".into(),
        }
    }
}

fn intervals(s: &str) -> Res<slaw::joint::decision::Intervals> {
    match s {
        "bootstrap" => Ok(slaw::joint::decision::Intervals::Bootstrap),
        "predictive" => Ok(slaw::joint::decision::Intervals::Predictive),
        _ => usage(format!(
            "intervals: '{s}' is neither 'bootstrap' nor 'predictive'"
        )),
    }
}

fn form(s: &str) -> Res<slaw::joint::Form> {
    match s {
        "multiplicative" => Ok(slaw::joint::Form::Multiplicative),
        "additive" => Ok(slaw::joint::Form::Additive),
        _ => usage(format!(
            "form: '{s}' is neither 'multiplicative' nor 'additive'"
        )),
    }
}

pub fn methods(data: &Input, a: &MethodsOpts) -> Res<String> {
    use slaw::joint::decision::{decide, Setting};
    let Some((factor, x)) = a.at.clone() else {
        return usage("at: the setting's factor and value, e.g. {\"model_size\": 8e9}");
    };
    let Some(d) = a.data else {
        return usage("data: the setting's fine-tuning data size");
    };
    if let Some((lo, hi)) = a.d_range {
        if !(lo > 0.0 && hi > lo && hi.is_finite()) {
            return usage(format!("d_range needs 0 < LO < HI, got ({lo}, {hi})"));
        }
    }
    let form = form(&a.form)?;
    let kind = intervals(&a.intervals)?;
    let runs = read_runs(data, &a.runs)?;
    let (lo, hi) = match a.d_range {
        Some(r) => r,
        None => slaw::joint::decision::d_range(&runs, d, &a.runs.data_col)?,
    };
    let k = runs
        .factors
        .iter()
        .position(|f| f.name == factor)
        .ok_or_else(|| {
            crate::Failure::Usage(format!(
                "at names '{factor}', which is not a factor column (factors: {})",
                a.runs.factors.join(", ")
            ))
        })?;
    let x_range = slaw::joint::decision::x_range(&runs, k, x);
    let opts = slaw::joint::default_options();
    let setting = Setting { factor, x, d };
    let (rec, fits) = decide(
        &runs,
        &setting,
        form,
        &opts,
        &{
            level_ok(a.level)?;
            Resampling::new(a.bootstrap, a.level, a.seed)
        },
        x_range,
        (lo, hi),
        kind,
    )?;
    // The CLI's `--plot` figure (critical data size against the factor),
    // for `plot()`: under "_figure", which the Python side takes out.
    let figure = crate::figures::to_json(&slaw_report::plot::joint::critical_figure(&rec));
    // What the CLI prints (the same formatter, options named as keywords),
    // for `report()`: under "_text", which the Python side takes out.
    let text =
        slaw_report::report::joint::methods_text(&rec, slaw_report::report::Interface::Python);
    json(
        &serde_json::json!({"recommendation": rec, "fits": fits, "_figure": figure, "_text": text}),
    )
}

#[derive(Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AllocateOpts {
    pub params: Option<Vec<f64>>,
    /// The run columns (`n_col`, `d_col`, `flops_col`, `loss_col`, `group`,
    /// `budget_col`, `filters`, `best_per_size`).
    #[serde(flatten)]
    pub cols: slaw::datasets::RunColumns,
    pub method: String,
    pub budget_gap: f64,
    pub level: f64,
    pub drop_highest: usize,
    pub budgets: Vec<f64>,
    pub bootstrap: usize,
    pub seed: u64,
}

impl Default for AllocateOpts {
    fn default() -> Self {
        AllocateOpts {
            params: None,
            cols: slaw::datasets::RunColumns::default(),
            method: "parametric".into(),
            budget_gap: 1.25,
            level: 0.95,
            drop_highest: 0,
            budgets: vec![],
            bootstrap: 1000,
            seed: 0,
        }
    }
}

pub fn allocate(data: Option<&Input>, a: &AllocateOpts) -> Res<String> {
    use slaw::allocate;
    use slaw::allocate::isoflop::Budgets;
    use slaw::allocate::methods::{allocate_group_from, AllocationMethod as Method, Options};
    use slaw::datasets::{DataColumn, PretrainColumns};
    let budgets = if a.budgets.is_empty() {
        allocate::default_budgets()
    } else {
        a.budgets.clone()
    };
    level_ok(a.level)?;
    // Too few replicates for the interval's level: the CLI's error.
    Resampling::new(a.bootstrap, a.level, a.seed).check_replicates()?;
    if !(a.budget_gap.is_finite() && a.budget_gap >= 1.0) {
        return usage(format!(
            "budget_gap must be a ratio >= 1, got {}",
            a.budget_gap
        ));
    }
    let method = match a.method.as_str() {
        "parametric" => Method::Parametric,
        "isoflop" => Method::Isoflop,
        "envelope" => Method::Envelope,
        "all" => Method::All,
        m => {
            return usage(format!(
                "method: '{m}' is not one of parametric, isoflop, envelope, all"
            ))
        }
    };
    if data.is_some() && a.params.is_some() {
        return usage("give data or params, not both");
    }
    let methods_path = !matches!(method, Method::Parametric)
        || !a.cols.group.is_empty()
        || a.cols.budget.is_some()
        || !a.cols.filters.is_empty()
        || a.cols.best_per_size;
    if methods_path {
        let Some(data) = data else {
            return usage(
                "params gives the parametric law only; the isoFLOP and envelope methods need runs",
            );
        };
        if a.cols.tokens.is_none() && a.cols.flops.is_none() {
            return usage("name the data column(s): d_col (tokens) and/or flops_col (FLOPs)");
        }
        let cols = &a.cols;
        let table = data.table()?;
        let groups = slaw::datasets::pretraining_groups_table(&table, cols, a.drop_highest)?;
        let fit = FitOptions::default();
        let opts = Options {
            method,
            budgets: &budgets,
            grouping: if a.cols.budget.is_some() {
                Budgets::Exact
            } else {
                Budgets::Gap(a.budget_gap)
            },
            bootstrap: Resampling::new(a.bootstrap, a.level, a.seed),
            fit: &fit,
        };
        let out: Vec<_> = groups
            .iter()
            .map(|(g, runs)| allocate_group_from(&table.source, g, runs, &opts))
            .collect();
        // The CLI's `--plot` figures per group, for `plot()`.
        let figures: Vec<serde_json::Value> = out
            .iter()
            .flat_map(|g| {
                slaw_report::plot::allocation_figures(g)
                    .into_iter()
                    .map(|(name, fig)| {
                        serde_json::json!([g.group, name, crate::figures::to_json(&fig)])
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        // The shape depends on the method and the grouping only, as the
        // CLI's: the parametric method without groups is one allocation (an
        // object), whatever rows the filters kept.
        // What the CLI prints (the same formatter), for `report()`.
        let text = slaw_report::report::joint::allocation_methods_report_in(
            &out,
            slaw_report::report::Interface::Python,
        );
        if matches!(method, Method::Parametric) && a.cols.group.is_empty() && out.len() == 1 {
            let report = out[0].clone().into_parametric()?;
            return json(&serde_json::json!({"result": report, "figures": figures, "text": text}));
        }
        return json(&serde_json::json!({"result": out, "figures": figures, "text": text}));
    }
    if a.cols.tokens.is_some() && a.cols.flops.is_some() {
        return usage("method parametric fits tokens: give d_col or flops_col, not both");
    }
    let report = match (&a.params, data) {
        (Some(p), _) => allocate::from_law(allocate::Chinchilla::from_params(p)?, &budgets)?,
        (None, Some(data)) => {
            let col = match (&a.cols.tokens, &a.cols.flops) {
                (Some(d), None) => DataColumn::Tokens(d.clone()),
                (None, Some(c)) => DataColumn::Flops(c.clone()),
                _ => return usage("name the data column: d_col (tokens) or flops_col (FLOPs)"),
            };
            let cols = PretrainColumns {
                n: a.cols.n.clone(),
                data: col,
                loss: a.cols.loss.clone(),
            };
            let obs =
                slaw::datasets::pretraining_runs_table(&*data.table()?, &cols, a.drop_highest)?;
            let flops = matches!(cols.data, DataColumn::Flops(_));
            let mut r = allocate::from_fit(
                &obs,
                &FitOptions::default(),
                &budgets,
                &Resampling::new(a.bootstrap, a.level, a.seed),
                &|| {},
            )?;
            if flops {
                allocate::note_compute_column(&mut r, &obs);
            }
            r
        }
        (None, None) => return usage("give a table of pretraining runs or params"),
    };
    // The parametric law's figures, as the CLI's `--plot`.
    let runs = report.fit.as_ref().map_or(0, |f| f.points);
    let figures: Vec<serde_json::Value> = slaw_report::plot::allocation_figures(
        &slaw::allocate::methods::GroupAllocation::from_parametric(report.clone(), runs),
    )
    .into_iter()
    .map(|(name, fig)| serde_json::json!(["", name, crate::figures::to_json(&fig)]))
    .collect();
    let text = slaw_report::report::joint::allocation_report(&report);
    json(&serde_json::json!({"result": report, "figures": figures, "text": text}))
}
