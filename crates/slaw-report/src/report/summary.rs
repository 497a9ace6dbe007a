//! One table for fits of many groups: a line per group (status, points,
//! parameters, fit quality, warnings), printed before any details.

use super::{num, truncate};
use slaw::analysis::GroupFit;
use slaw::law::Law;
use std::fmt::Write;

/// The summary table of `slaw fit --group` (one line per group).
/// `skipped`: the groups not fitted (too few points), counted in the last
/// line.
pub fn group_table(law: &Law, fits: &[GroupFit], skipped: usize) -> String {
    let names = fits
        .first()
        .map(|g| g.fit.param_names().to_vec())
        .unwrap_or_default();
    let width = fits
        .iter()
        .map(|g| slaw::numbers::display_width(&g.group))
        .max()
        .unwrap_or(5)
        .clamp(5, 48);
    let held = fits.iter().any(|g| g.heldout.is_some());
    let mut s = String::new();
    let _ = writeln!(s, "law: {}   {}", law.name, law.formula);
    let mut head = format!("{:<width$} {:<9} {:>6}", "group", "status", "points");
    for n in &names {
        let _ = write!(head, " {n:>11}");
    }
    let _ = write!(head, " {:>10} {:>8}", "RMSD(logL)", "R^2");
    if held {
        let _ = write!(head, " {:>10}", "held RMSD");
    }
    // One column per --predict point (the same points in every group),
    // headed by the point: the predictions were only in --verbose / --json.
    let inputs = &law.inputs;
    let predict_heads: Vec<String> = fits
        .first()
        .map(|g| {
            g.predictions
                .iter()
                .map(|p| {
                    let at: Vec<String> = p.at.iter().map(|v| slaw::numbers::short(*v)).collect();
                    if inputs.len() == 1 {
                        format!("L({})", at[0])
                    } else {
                        format!("L({})", at.join(","))
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let pw: Vec<usize> = predict_heads.iter().map(|h| h.len().max(11)).collect();
    for (h, w) in predict_heads.iter().zip(&pw) {
        let _ = write!(head, " {h:>w$}");
    }
    let _ = write!(head, "  warnings");
    let _ = writeln!(s, "{head}");
    for g in fits {
        let f = &g.fit;
        let status = if !f.converged {
            "FAILED"
        } else if !f.identifiability.unidentified.is_empty() {
            "not pinned"
        } else {
            "converged"
        };
        let group = truncate(&g.group, width);
        let group = slaw::numbers::pad(&group, width);
        let mut line = format!("{group} {status:<9} {:>6}", f.n_points);
        for v in f.params.iter() {
            let _ = write!(line, " {:>11}", num(*v));
        }
        let _ = write!(
            line,
            " {:>10.5} {:>8}",
            g.train.rmsd_log,
            super::r2_text(g.train.r2, 5)
        );
        if held {
            match &g.heldout {
                Some(h) => {
                    let _ = write!(line, " {:>10.5}", h.rmsd_log);
                }
                None => {
                    let _ = write!(line, " {:>10}", "-");
                }
            }
        }
        for (k, w) in pw.iter().enumerate() {
            let v = g
                .predictions
                .get(k)
                .map_or("-".to_string(), |p| num(p.value));
            let _ = write!(line, " {v:>w$}");
        }
        let _ = write!(line, "  {}", f.warnings.len());
        let _ = writeln!(s, "{line}");
    }
    let failed = fits.iter().filter(|g| !g.fit.converged).count();
    let warned = fits.iter().filter(|g| !g.fit.warnings.is_empty()).count();
    let _ = writeln!(
        s,
        "{} groups: {} converged, {failed} failed, {}{warned} with warnings (details per group: --verbose)",
        fits.len() + skipped,
        fits.len() - failed,
        if skipped > 0 {
            format!("{skipped} skipped (too few points), ")
        } else {
            String::new()
        }
    );
    if !predict_heads.is_empty() {
        let _ = writeln!(
            s,
            "L(...): each group's prediction at a --predict point; its intervals with --verbose or --json"
        );
    }
    s
}
