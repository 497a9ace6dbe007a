//! Errors of the library. Every input error names the file, row and column.

use std::fmt;

/// Where in an input file a problem is. A row is the line number in the file
/// (a CSV header is line 1, so its first data row is row 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub row: Option<usize>,
    pub column: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column '{c}'")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input data: the location says where.
    #[error("{location}: {message}")]
    Input { location: Location, message: String },
    /// A formula that does not parse, with the byte offset of the bad token.
    #[error("formula error at position {position} in '{formula}': {message}")]
    Formula {
        formula: String,
        position: usize,
        message: String,
    },
    /// An unknown law name, a bad bound, a bad option.
    #[error("{0}")]
    Usage(String),
    /// The fit ran but could not give an answer (no start converged, ...).
    #[error("fit failed: {0}")]
    Fit(String),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn input(
        file: &str,
        row: Option<usize>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        Error::Input {
            location: Location {
                file: file.to_string(),
                row,
                column: column.map(str::to_string),
            },
            message: message.into(),
        }
    }
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage(message.into())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
