//! The CSV reader's errors: each names the file, and where it applies the row and column.

use crate::checkpoint::printable;

/// What can go wrong reading a CSV table. Every message names the file, and where it applies the
/// row (1-based, the header being row 1) and the column's name (control characters escaped, so
/// that a message stays one line).
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// No header row at all.
    #[error("{file}: the file is empty (expected a header row naming the columns)")]
    Empty {
        /// The file.
        file: String,
    },
    /// A header but no data rows (or none left after dropping rows with missing values).
    #[error("{file}: no data rows after the header{}", if *.dropped > 0 { format!(" ({} dropped for missing values)", .dropped) } else { String::new() })]
    NoRows {
        /// The file.
        file: String,
        /// Rows skipped for missing values.
        dropped: usize,
    },
    /// The header's feature columns are not the ones expected ([`CsvOptions::features`](super::CsvOptions::features)).
    #[error("{file}: row 1: the model was trained on columns {expected:?}; missing: {missing:?}, extra: {extra:?}")]
    Columns {
        /// The file.
        file: String,
        /// The expected feature columns, in order.
        expected: Vec<String>,
        /// Expected columns the file lacks.
        missing: Vec<String>,
        /// The file's columns that are not expected.
        extra: Vec<String>,
    },
    /// A field is not valid UTF-8.
    #[error("{file}: row {row}, column {}: not valid UTF-8", printable(.column))]
    NotUtf8 {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The column's name (or its 1-based position where the header itself is at fault).
        column: String,
    },
    /// A line or quoted field longer than [`MAX_LINE_BYTES`](super::MAX_LINE_BYTES).
    #[error("{file}: row {row}, column {}: line longer than {limit} bytes", printable(.column))]
    TooLong {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The column being read when the limit was hit (name, or 1-based position).
        column: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// A line with more than [`MAX_COLUMNS`](super::MAX_COLUMNS) fields.
    #[error("{file}: row {row}: more than {limit} columns")]
    TooWide {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The limit.
        limit: usize,
    },
    /// A row with a different number of fields from the header.
    #[error("{file}: row {row}: {found} fields but the header has {expected} (column {} {})", printable(.column), if .found < .expected { "is missing" } else { "is beyond the header" })]
    Ragged {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The header's number of columns.
        expected: usize,
        /// This row's number of fields.
        found: usize,
        /// The first missing column's name, or the first extra field's 1-based position.
        column: String,
    },
    /// Two header columns have the same name.
    #[error("{file}: row 1: duplicate column name {column:?} (columns {first} and {second})")]
    DuplicateColumn {
        /// The file.
        file: String,
        /// The repeated name.
        column: String,
        /// Its first 1-based position.
        first: usize,
        /// Its second 1-based position.
        second: usize,
    },
    /// A column named in the options is not in the header.
    #[error("{file}: row 1: no column named {column:?} (columns: {})", printable(.available))]
    UnknownColumn {
        /// The file.
        file: String,
        /// The name asked for.
        column: String,
        /// The header's names, comma-separated (shortened if long).
        available: String,
    },
    /// A feature value (or a regression target) that is not a finite number.
    #[error("{file}: row {row}, column {}: {value:?} is not a finite number", printable(.column))]
    NotNumeric {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The column's name.
        column: String,
        /// The value (shortened to 40 characters).
        value: String,
    },
    /// A number that is finite but beyond the element type's range (above about 3.4e38 in
    /// magnitude for `f32`): it would become infinite.
    #[error("{file}: row {row}, column {}: {value:?} is beyond the range of {dtype} (largest magnitude {max:e})", printable(.column))]
    OutOfRange {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The column's name.
        column: String,
        /// The value (shortened to 40 characters).
        value: String,
        /// The element type (`f32`).
        dtype: &'static str,
        /// Its largest finite value.
        max: f64,
    },
    /// An empty cell, `NA` or `nan` (any case) without [`CsvOptions::drop_missing`](super::CsvOptions::drop_missing).
    #[error(
        "{file}: row {row}, column {}: missing value {value:?} (drop such rows with drop_missing)",
        printable(.column)
    )]
    Missing {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The column's name.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// A classification target with a single class: nothing to learn.
    #[error("{file}: column {}: the target has one class only ({class:?} in all {rows} rows)", printable(.column))]
    OneClass {
        /// The file.
        file: String,
        /// The target column.
        column: String,
        /// The only class.
        class: String,
        /// The number of rows.
        rows: usize,
    },
    /// A malformed record the `csv` crate rejects (for example a stray quote).
    #[error("{file}: row {row}: {message}")]
    Malformed {
        /// The file.
        file: String,
        /// The row (1-based, header = 1).
        row: usize,
        /// The parser's message.
        message: String,
    },
}
