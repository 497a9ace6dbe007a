//! slaw: scaling laws for LLM training decisions.
//!
//! Data flow: input (`table`) -> `observations` -> `law` -> `objective` ->
//! `solver` (multi-start in `fit`) -> fit result (`diagnostics`,
//! `bootstrap`) -> decision. Reports, figures, the
//! benchmarks and the demo live in the `slaw-report` crate.
//!
//! Every public item is documented (`missing_docs` warns, and CI denies
//! warnings).

#![warn(missing_docs)]

pub mod allocate;
pub mod analysis;
pub mod bootstrap;
pub mod datasets;
pub mod diagnostics;
pub mod error;
pub mod extrapolation;
pub mod fastmath;
pub mod fit;
pub mod forecast;
pub mod identify;
pub mod joint;
pub mod lack_of_fit;
pub mod law;
pub mod learning_curves;
pub mod linalg;
pub mod m4_reference;
pub mod near_column;
pub mod numbers;
pub mod objective;
pub mod observations;
pub mod pick;
pub mod profile;
pub mod progress;
pub mod restarts;
pub mod scaling;
pub mod segment;
pub mod selection;
pub mod solver;
pub mod stats;
pub mod synthetic;
pub mod table;
pub mod tfevents;
pub mod trend_breaks;

pub use error::{Error, Result};
pub use fit::{fit, Fit, FitOptions};
pub use law::{Law, Named, Params};

/// The number of worker threads the library's parallel loops (multi-start,
/// bootstrap, benchmarks) run on: `RAYON_NUM_THREADS` when set, else the
/// machine's cores.
pub fn threads() -> usize {
    rayon::current_num_threads()
}
