//! From parsed arguments to the library's settings: the one place the CLI
//! builds fit options and bootstrap settings, and checks the flags they come
//! from (parsed args -> validated config -> library call).

use crate::data::{DataArgs, ObjectiveKind, SpaceKind};
use anyhow::{bail, Result};
use slaw::bootstrap::Resampling;
use slaw::fit::{FitOptions, MultiStart};
use slaw::objective::{Loss, Space};
use slaw::solver::Tolerances;

/// Where a command's fit options come from.
pub enum Fitting<'a> {
    /// The fitting flags of `slaw fit` / `slaw compare` (--objective,
    /// --delta, --space, --max-iter, --screen-tol, --starts).
    Flags(&'a DataArgs),
    /// The joint fine-tuning laws' options (`slaw joint`, `slaw methods`).
    Joint,
    /// The library's defaults (`slaw allocate`, `slaw bench curves`).
    Library,
}

/// The fit options of a command, checked.
pub fn fit_options(from: Fitting) -> Result<FitOptions> {
    let d = match from {
        Fitting::Flags(d) => d,
        Fitting::Joint => return Ok(slaw::joint::default_options()),
        Fitting::Library => return Ok(FitOptions::default()),
    };
    if d.delta <= 0.0 || d.delta.is_nan() {
        bail!("--delta must be > 0");
    }
    let opts = FitOptions {
        loss: match d.objective {
            ObjectiveKind::Huber => Loss::Huber { delta: d.delta },
            ObjectiveKind::Squared => Loss::Squared,
        },
        space: match d.space {
            SpaceKind::Log => Space::Log,
            SpaceKind::Linear => Space::Linear,
        },
        tol: Tolerances {
            max_iter: d.max_iter,
            ..Tolerances::default()
        },
        starts: None,
        screen_ftol: d.screen_tol,
        multistart: parse_starts(&d.starts)?,
        ..FitOptions::default()
    };
    if !(d.screen_tol > 0.0 && d.screen_tol < 1.0) {
        bail!("--screen-tol must be between 0 and 1");
    }
    Ok(opts)
}

fn parse_starts(s: &str) -> Result<MultiStart> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(MultiStart::All);
    }
    match s.trim().parse::<usize>() {
        Ok(k) if k >= 1 => Ok(MultiStart::Adaptive { agree: k }),
        _ => bail!("--starts: '{s}' is neither 'all' nor a count of agreeing starts >= 1"),
    }
}

/// An interval level given as `flag`, checked to lie in (0, 1).
pub fn level_of(flag: &str, level: f64) -> Result<f64> {
    if !(level > 0.0 && level < 1.0) {
        bail!("{flag} must be between 0 and 1, got {level}");
    }
    Ok(level)
}

/// `--level`, checked.
pub fn level(level: f64) -> Result<f64> {
    level_of("--level", level)
}

/// The bootstrap of a command (--bootstrap, the value of the level flag
/// `level_flag`, --seed) as the engine's settings, the level checked and
/// the replicates enough for a percentile interval at it
/// (`Resampling::min_replicates`; 0 for none).
pub fn bootstrap(replicates: usize, level_flag: &str, level: f64, seed: u64) -> Result<Resampling> {
    let r = Resampling::new(replicates, level_of(level_flag, level)?, seed);
    r.check_replicates()?;
    Ok(r)
}

/// Standard input (`-`) named by more than one of `inputs` (each with the
/// argument that named it): an error saying so. Stdin can be read once, and
/// the second read found it empty ("standard input, row 1: empty header").
pub fn stdin_once<'a>(
    inputs: impl IntoIterator<Item = (String, &'a std::path::Path)>,
) -> Result<()> {
    let named: Vec<String> = inputs
        .into_iter()
        .filter(|(_, p)| p.as_os_str() == "-")
        .map(|(arg, _)| arg)
        .collect();
    if named.len() > 1 {
        let (times, by) = match named.len() {
            2 => ("twice".to_string(), named.join(" and ")),
            n => (format!("{n} times"), named.join(", ")),
        };
        bail!(
            "standard input ('-') is given {times} ({by}): it can be read once; give the other \
             inputs as files"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_outside_the_open_unit_interval_are_refused() {
        for bad in [0.0, 1.0, 1.5, -0.1, f64::NAN] {
            let e = bootstrap(10, "--level", bad, 0).unwrap_err().to_string();
            assert!(e.contains("--level"), "{e}");
        }
        let r = bootstrap(10, "--level", 0.9, 4).unwrap();
        assert_eq!((r.replicates, r.level, r.seed), (10, 0.9, 4));
        // Too few replicates for a percentile interval at the level.
        let e = crate::output::message(&bootstrap(1, "--level", 0.95, 0).unwrap_err());
        assert!(
            e.starts_with("--bootstrap: ") && e.contains("at least 20"),
            "{e}"
        );
        assert!(level_of("--bootstrap-level", 2.0)
            .unwrap_err()
            .to_string()
            .starts_with("--bootstrap-level"));
        assert!(parse_starts("all").is_ok() && parse_starts("0").is_err());
    }
}
