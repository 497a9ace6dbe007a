use super::*;

/// The templates come per rule, per shrink, per correction (the order
/// the rule search breaks ties in), as the loops each family wrote
/// for itself did.
#[test]
fn templates_come_per_rule_then_shrink_then_correction() {
    let rules = capped_pool_rules();
    let mut gated = Vec::new();
    let mut sizes = Vec::new();
    for r in &rules {
        for shrink in CORRECTION_SHRINKS {
            for c in [
                pick::Correction::Gated {
                    shrink,
                    drift: Vec::new(),
                },
                pick::Correction::Capped {
                    shrink,
                    drift: Vec::new(),
                },
            ] {
                gated.push(Rule {
                    correction: c,
                    ..r.clone()
                });
            }
            for split in SIZE_SPLITS {
                sizes.push(Rule {
                    correction: pick::Correction::PerSize {
                        shrink,
                        split,
                        small: Vec::new(),
                        large: Vec::new(),
                    },
                    ..r.clone()
                });
            }
        }
    }
    assert_eq!(gated_templates(), gated);
    assert_eq!(per_size_templates(), sizes);
    let n = rules.len() * CORRECTION_SHRINKS.len();
    assert_eq!(own_drift_rules().len(), n);
    assert_eq!(blend_templates().len(), n * (OWN_WEIGHTS.len() + 1));
    assert_eq!(keyed_templates(&[]).len(), 0);
    let blend = blend_templates();
    assert!(matches!(
        &blend[3].correction,
        pick::Correction::Blend { shrink, learned: true, own_weight, .. }
            if *shrink == CORRECTION_SHRINKS[0] && own_weight.is_empty()
    ));
}
