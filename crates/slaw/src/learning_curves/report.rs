//! The benchmark's report as text and CSV.

use super::*;

/// The report as text: one table per fraction (wins vs M4 and mean RMSE
/// ratio per family), the rules chosen.
pub fn text(rep: &CurvesReport) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for &fr in &rep.fractions {
        let rows: Vec<&CurvesRow> = rep.rows.iter().filter(|r| r.fraction == fr).collect();
        let Some(first) = rows.first() else { continue };
        let skipped = rep.skipped.iter().find(|k| k.0 == fr).map_or(0, |k| k.1);
        let _ = writeln!(
            s,
            "fit on the first {:.0}% of each curve's points, RMSE of ln L on the rest ({} curves skipped: window < {MIN_WINDOW} points)",
            100.0 * fr,
            skipped
        );
        let _ = write!(s, "{:<28}", "method: wins / ratio");
        for r in &rows {
            let _ = write!(s, " {:>17}", format!("{} ({})", r.family, r.curves));
        }
        s.push('\n');
        let _ = write!(s, "{:<28}", "M4 mean RMSE (x 1e-2)");
        for r in &rows {
            let _ = write!(s, " {:>17.3}", 100.0 * r.m4_mean_rmse);
        }
        s.push('\n');
        for (k, m) in first.methods.iter().enumerate() {
            let _ = write!(s, "{:<28}", m.method);
            for r in &rows {
                let ms = &r.methods[k];
                let ratio = if ms.ratio.is_finite() {
                    format!("{:.3}", ms.ratio)
                } else {
                    "inf".into()
                };
                let _ = write!(s, " {:>17}", format!("{}/{} {ratio}", ms.wins, r.curves));
            }
            s.push('\n');
        }
        for (k, (name, _)) in REFERENCES.iter().enumerate() {
            if rows.iter().all(|r| r.references.get(k).is_none()) {
                continue;
            }
            let _ = writeln!(
                s,
                "against {name}: wins / ratio (curves where it gave a finite RMSE)"
            );
            let _ = write!(s, "{:<28}", "  its mean RMSE (x 1e-2)");
            for r in &rows {
                let cell = r
                    .references
                    .iter()
                    .find(|x| x.reference == *name)
                    .map_or("-".to_string(), |x| {
                        format!("{:.3} ({})", 100.0 * x.mean_rmse, x.curves)
                    });
                let _ = write!(s, " {cell:>17}");
            }
            s.push('\n');
            let labels: Vec<String> = rows
                .iter()
                .find_map(|r| r.references.iter().find(|x| x.reference == *name))
                .map(|x| x.methods.iter().map(|m| m.method.clone()).collect())
                .unwrap_or_default();
            for (j, label) in labels.iter().enumerate() {
                let _ = write!(s, "{:<28}", format!("  {label}"));
                for r in &rows {
                    let cell = r.references.iter().find(|x| x.reference == *name).map_or(
                        "-".to_string(),
                        |x| {
                            let m = &x.methods[j];
                            let ratio = if m.ratio.is_finite() {
                                format!("{:.3}", m.ratio)
                            } else {
                                "inf".into()
                            };
                            format!("{}/{} {ratio}", m.wins, x.curves)
                        },
                    );
                    let _ = write!(s, " {cell:>17}");
                }
                s.push('\n');
            }
        }
        s.push('\n');
    }
    let _ = writeln!(s, "rules chosen leaving one family out (mean over the other families of ln(RMSE / RMSE of M4)):");
    for (f, r) in &rep.lofo_rules {
        let _ = writeln!(s, "  without {f:<13} {}", r.label());
    }
    if !rep.lofo_configs.is_empty() {
        let _ = writeln!(
            s,
            "configurations chosen leaving one family out (inner leave-one-family-out, goal's terms):"
        );
        for (f, c) in &rep.lofo_configs {
            let _ = writeln!(s, "  without {f:<13} {c}");
        }
    }
    if let Some(n) = &rep.nested_all {
        let _ = writeln!(
            s,
            "configurations scored by leave-one-family-out over every family (goal's terms, lower is better):"
        );
        for (k, (c, v)) in n.scores.iter().enumerate() {
            let mark = if k == n.chosen { "  <- chosen" } else { "" };
            let _ = writeln!(s, "  {c:<40} {v:.4}{mark}");
        }
        let runner_up = (0..n.scores.len())
            .filter(|&k| k != n.chosen)
            .min_by(|&a, &b| n.scores[a].1.total_cmp(&n.scores[b].1));
        if let Some(k) = runner_up {
            let _ = writeln!(
                s,
                "  margin over the runner-up ({}): {:.4}",
                n.scores[k].0,
                n.scores[k].1 - n.scores[n.chosen].1
            );
        }
    }
    let _ = writeln!(s, "rule chosen on every family: {}", rep.all_rule.label());
    let _ = writeln!(
        s,
        "shipped rule:                {}",
        rep.shipped_rule.label()
    );
    s
}

/// One row per curve, fraction and method (RMSE of ln L on the later part).
pub fn csv(rep: &CurvesReport) -> String {
    use std::fmt::Write;
    let shipped = &rep.shipped_rule;
    let mut s = String::from("family,curve,fraction,window,later,method,rmse_log\n");
    for r in &rep.records {
        let lofo = &rep
            .lofo_rules
            .iter()
            .find(|(f, _)| *f == r.family)
            .expect("a rule per family")
            .1;
        let mut row = |m: &str, v: f64| {
            let _ = writeln!(
                s,
                "{},\"{}\",{},{},{},{m},{v}",
                r.family, r.name, r.fraction, r.window, r.later
            );
        };
        row(LOFO, r.rule_rmse(lofo));
        row(SHIPPED, r.rule_rmse(shipped));
        row(COMPARE, r.compare_rmse());
        for l in &r.laws {
            row(&l.law, l.rmse);
        }
        for x in &r.references {
            row(&x.name, x.rmse);
        }
    }
    s
}
