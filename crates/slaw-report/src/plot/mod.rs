//! Plots (SVG, PNG or PDF by file extension): SVG and PNG with an embedded
//! font, so no system font libraries are needed; PDF as vector graphics
//! with Helvetica, a font every PDF reader has (see [`pdf`]).
//!
//! The figure model (`figure.rs`: series, bands, vertical lines) is drawn
//! by `render.rs` (SVG, PNG, PDF) with the colours of `palette.rs`, the
//! ranges, ticks and tick labels of `axes.rs` and the legend column of
//! `legend.rs`. Each kind of figure is built in its own module: `fit.rs`,
//! `selection.rs`, `allocation.rs`, [`forecast`], [`joint`].

mod allocation;
mod axes;
mod figure;
mod fit;
pub mod forecast;
pub mod joint;
mod legend;
mod names;
mod palette;
pub mod pdf;
mod render;
mod selection;
#[cfg(test)]
mod testing;

pub use allocation::allocation_figures;
pub use axes::{log_axis, log_ticks, tick_label};
pub use figure::{
    extrapolated_key, measured_and_extrapolated, Band, Figure, Mark, Series, SeriesKind, VLine,
};
pub use fit::fit_figure;
pub use names::file_suffixes;
pub use palette::{palette, sequential, MUTED, SEQUENTIAL};
pub use render::{check_path, save, to_pdf, to_svg, SIZE};
pub use selection::{selection_figure, selection_figure_with_failures};
pub use slaw::numbers::log_space;
