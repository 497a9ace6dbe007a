//! probe47 item 7g: `slaw allocate --budget -5` printed the budgets as Rust
//! debug output ("got [-5.0]"); they are numbers as given.

mod common;

use common::slaw;
use predicates::prelude::*;

#[test]
fn a_bad_budget_is_printed_as_given() {
    slaw()
        .args([
            "allocate",
            "--params",
            "406.4,0.34,410.7,0.28,1.69",
            "--budget",
            "1e23",
            "--budget",
            "-5",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--budget: must be positive FLOP counts (got 1e23, -5)")
                .and(predicate::str::contains("[").not()),
        );
}
