//! Helpers shared by the tests that read `../shared/data`.

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared data folder beside the repository, or None (with a message)
/// when it is absent, as on a user's machine.
pub fn shared_data(sub: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let p = root.join(sub);
    if p.exists() {
        Some(p)
    } else if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} not found: under CI the shared data sets must sit beside the repository",
            p.display()
        );
    } else {
        eprintln!(
            "SKIPPED: {} not found (the shared data sets sit beside the repository on CI only)",
            p.display()
        );
        None
    }
}
