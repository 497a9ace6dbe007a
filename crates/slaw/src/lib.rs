//! slaw: scaling laws for LLM training decisions.
//!
//! Data flow: input (`table`) -> `observations` -> `law` -> `objective` ->
//! `solver` (multi-start in `fit`) -> fit result (`diagnostics`,
//! `bootstrap`) -> decision -> report (`plot`).
//!
//! Every public item is documented (`missing_docs` warns, and CI denies
//! warnings). The modules marked `allow(missing_docs)` below are the known
//! debt: the decisions and the data readers are still to document, and
//! `plot`, `report`, `bench` and `demo` move to their own crate.

#![warn(missing_docs)]

#[allow(missing_docs)]
pub mod allocate;
#[allow(missing_docs)]
pub mod analysis;
#[allow(missing_docs)]
pub mod bench;
pub mod bootstrap;
#[allow(missing_docs)]
pub mod datasets;
#[allow(missing_docs)]
pub mod demo;
pub mod diagnostics;
pub mod error;
pub mod extrapolation;
pub mod fastmath;
pub mod fit;
#[allow(missing_docs)]
pub mod forecast;
pub mod identify;
#[allow(missing_docs)]
pub mod joint;
#[allow(missing_docs)]
pub mod law;
pub mod linalg;
pub mod objective;
pub mod observations;
#[allow(missing_docs)]
pub mod plot;
#[allow(missing_docs)]
pub mod report;
pub mod scaling;
#[allow(missing_docs)]
pub mod selection;
pub mod solver;
pub mod stats;
pub mod synthetic;
pub mod table;

pub use error::{Error, Result};
