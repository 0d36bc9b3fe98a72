//! CSV tables: a header row, numeric feature columns and one named target column, read with
//! the `csv` crate in one streaming pass with bounded memory per row.

pub use super::csv_error::CsvError;
use super::{gather_rows, split_indices, stratified_indices, Dataset};
use autograd::{Float, Tensor};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

/// The longest line (or quoted field) accepted, in bytes: the `csv` crate grows its record
/// buffer to fit any field, so without a cap one hostile 10 GB field would be held whole.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// The most fields a line may have: the `csv` crate keeps 8 bytes per field boundary, so a line
/// of 1 MiB of commas would otherwise cost 8 MiB.
pub const MAX_COLUMNS: usize = 1 << 16;

/// Classification targets with at most this many distinct integer values are classes when the
/// task is [`Task::Auto`]; more, or any fraction, make it regression.
pub const AUTO_MAX_CLASSES: usize = 20;

/// Classification, regression, or let the target column decide.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Task {
    /// Classes if every target value is non-numeric or the target has at most
    /// [`AUTO_MAX_CLASSES`] distinct integers; otherwise regression.
    #[default]
    Auto,
    /// Each distinct target value is a class.
    Classification,
    /// The target is a finite float.
    Regression,
}

/// How to read a table: the target column, the task, columns to skip and missing values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// The target column's name.
    pub target: String,
    /// The task (default [`Task::Auto`]).
    pub task: Task,
    /// Columns that are neither features nor the target (an id, a free-text note).
    pub ignore: Vec<String>,
    /// Skip rows with a missing value (counted in [`Table::dropped`]) instead of failing.
    pub drop_missing: bool,
    /// The feature columns expected (a model's), matched by name: the file may hold them in
    /// any order, and they are read in this one. A header with other columns is a
    /// [`CsvError::Columns`] naming the missing and the extra ones, found before any row is read.
    pub features: Option<Vec<String>>,
    /// Rows to predict: the target column may be absent, and is not read if present (the
    /// table is read as regression with every target 0; [`Table::has_target`] says whether
    /// the column was there).
    pub ignore_target: bool,
}

impl CsvOptions {
    /// Options for `target` with every other setting at its default.
    pub fn new(target: &str) -> Self {
        Self {
            target: target.to_string(),
            ..Self::default()
        }
    }
}

/// A table's target column: class indices with their names, or float values.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// Class `labels[i]` of row `i`, named `names[labels[i]]`. `names` is **sorted** (numerically
    /// when every name is an integer, else by bytes), not in order of first appearance, so that a
    /// test file, a shuffled file or a subset numbers the classes as the training file did.
    Classes {
        /// Class index per row.
        labels: Vec<usize>,
        /// Class names, sorted.
        names: Vec<String>,
    },
    /// The value of each row.
    Values(Vec<f64>),
}

/// A CSV table: numeric features `x` and a target, with the column names kept so that a model
/// can carry them. Kept apart from [`Dataset`] so that the IDX/classification API is unchanged:
/// [`Table::to_dataset`] gives a classification table as a `Dataset`.
#[derive(Clone, Debug, PartialEq)]
pub struct Table<T: Float = f64> {
    /// Features `[rows, feature_names.len()]`, in the header's order (or in [`CsvOptions::features`]' order when given).
    pub x: Tensor<T>,
    /// The feature columns' names.
    pub feature_names: Vec<String>,
    /// The target column's name.
    pub target_name: String,
    /// The target.
    pub target: Target,
    /// Rows skipped for missing values (0 unless [`CsvOptions::drop_missing`]).
    pub dropped: usize,
    /// Whether the file had the target column (false only with [`CsvOptions::ignore_target`]).
    pub has_target: bool,
}

/// Counts lines and (unquoted) commas as the bytes pass, and fails a line longer than
/// [`MAX_LINE_BYTES`] before the `csv` crate buffers it.
struct Bounded<R> {
    inner: R,
    line: usize,
    line_bytes: usize,
    field: usize,
    quoted: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            self.line_bytes += 1;
            match b {
                b'"' => self.quoted = !self.quoted,
                b'\n' if !self.quoted => {
                    self.line += 1;
                    self.line_bytes = 0;
                    self.field = 0;
                }
                b',' if !self.quoted => self.field += 1,
                _ => {}
            }
            if self.line_bytes > MAX_LINE_BYTES {
                return Err(std::io::Error::other(TOO_LONG));
            }
            if self.field >= MAX_COLUMNS {
                return Err(std::io::Error::other(TOO_WIDE));
            }
        }
        Ok(n)
    }
}

const TOO_LONG: &str = "chainrule: line too long";
const TOO_WIDE: &str = "chainrule: too many columns";

fn is_missing(s: &str) -> bool {
    let t = s.trim();
    t.is_empty() || t.eq_ignore_ascii_case("na") || t.eq_ignore_ascii_case("nan")
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// `v` as a `T`, or an error where it is finite in `f64` but not in `T` (1e39 in `f32`).
fn in_range<T: Float>(v: f64, file: &str, row: usize, column: &str, text: &str) -> Result<T, CsvError> {
    let t = T::from_f64(v);
    if t.is_finite() {
        return Ok(t);
    }
    Err(CsvError::OutOfRange {
        file: file.to_string(),
        row,
        column: column.to_string(),
        value: shorten(text),
        dtype: T::NAME,
        max: T::max_value().as_f64(),
    })
}

impl<T: Float> Table<T> {
    /// Reads a CSV file (see [`Table::from_reader`]); errors name the file's path.
    pub fn from_path(path: &Path, options: &CsvOptions) -> Result<Self, CsvError> {
        let file = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|source| CsvError::Io {
            file: file.clone(),
            source,
        })?;
        Self::from_reader(f, &file, options)
    }

    /// Reads a table from any reader; `file` names it in errors. The first row is the header;
    /// every column but the target and [`CsvOptions::ignore`] is a feature and must hold finite
    /// numbers. Fields are trimmed. Memory: the table itself plus one line of at most
    /// [`MAX_LINE_BYTES`].
    ///
    /// ```
    /// use chainrule::nn::data::{CsvOptions, Table, Target};
    /// let csv = "size,weight,kind\n1,2.5,cat\n3,4,dog\n2,1,cat\n";
    /// let t = Table::<f64>::from_reader(csv.as_bytes(), "pets.csv", &CsvOptions::new("kind")).unwrap();
    /// assert_eq!(t.feature_names, ["size", "weight"]);
    /// assert_eq!(t.x.as_slice(), &[1.0, 2.5, 3.0, 4.0, 2.0, 1.0]);
    /// assert_eq!(t.target, Target::Classes { labels: vec![0, 1, 0], names: vec!["cat".into(), "dog".into()] });
    /// ```
    pub fn from_reader(reader: impl Read, file: &str, options: &CsvOptions) -> Result<Self, CsvError> {
        let file = file.to_string();
        let bounded = Bounded {
            inner: reader,
            line: 1,
            line_bytes: 0,
            field: 0,
            quoted: false,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bounded);
        let mut record = csv::ByteRecord::new();
        // Turns a csv error into ours, naming the row and column the reader had reached.
        let fail = |e: csv::Error, rdr: &csv::Reader<Bounded<_>>, names: &[String]| -> CsvError {
            let b = rdr.get_ref();
            let line = e.position().map_or(b.line, |p| p.line() as usize);
            let column = names
                .get(b.field)
                .cloned()
                .unwrap_or_else(|| (b.field + 1).to_string());
            match e.into_kind() {
                csv::ErrorKind::Io(e) if e.to_string() == TOO_LONG => CsvError::TooLong {
                    file: file.clone(),
                    row: b.line,
                    column,
                    limit: MAX_LINE_BYTES,
                },
                csv::ErrorKind::Io(e) if e.to_string() == TOO_WIDE => CsvError::TooWide {
                    file: file.clone(),
                    row: b.line,
                    limit: MAX_COLUMNS,
                },
                csv::ErrorKind::Io(source) => CsvError::Io {
                    file: file.clone(),
                    source,
                },
                other => CsvError::Malformed {
                    file: file.clone(),
                    row: line,
                    message: format!("{other:?}"),
                },
            }
        };
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Err(CsvError::Empty { file }),
            Err(e) => return Err(fail(e, &rdr, &[])),
        }
        let mut names = Vec::with_capacity(record.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, field) in record.iter().enumerate() {
            let name = std::str::from_utf8(field).map_err(|_| CsvError::NotUtf8 {
                file: file.clone(),
                row: 1,
                column: (i + 1).to_string(),
            })?;
            if let Some(&first) = seen.get(name) {
                return Err(CsvError::DuplicateColumn {
                    file,
                    column: name.to_string(),
                    first: first + 1,
                    second: i + 1,
                });
            }
            seen.insert(name.to_string(), i);
            names.push(name.to_string());
        }
        let unknown = |column: &str| CsvError::UnknownColumn {
            file: file.clone(),
            column: column.to_string(),
            available: shorten(&names.join(",")),
        };
        let target_col = match seen.get(&options.target) {
            Some(&c) => Some(c),
            None if options.ignore_target => None,
            None => return Err(unknown(&options.target)),
        };
        let mut skip = vec![false; names.len()];
        if let Some(c) = target_col {
            skip[c] = true;
        }
        for c in &options.ignore {
            skip[*seen.get(c).ok_or_else(|| unknown(c))?] = true;
        }
        let mut features: Vec<usize> = (0..names.len()).filter(|&i| !skip[i]).collect();
        if let Some(expected) = &options.features {
            let found: Vec<&String> = features.iter().map(|&i| &names[i]).collect();
            let missing: Vec<String> = expected.iter().filter(|e| !found.contains(e)).cloned().collect();
            let extra: Vec<String> = found
                .iter()
                .filter(|f| !expected.contains(f))
                .map(|f| f.to_string())
                .collect();
            if !missing.is_empty() || !extra.is_empty() {
                return Err(CsvError::Columns {
                    file,
                    expected: expected.clone(),
                    missing,
                    extra,
                });
            }
            // The same columns in another order: matched by name, read in the model's order.
            features = expected.iter().map(|e| seen[e]).collect();
        }

        let mut x: Vec<T> = Vec::new();
        // Target values are interned: memory grows with the distinct values, not their text.
        let mut distinct: HashMap<String, usize> = HashMap::new();
        let mut target_ids: Vec<usize> = Vec::new();
        // The row each distinct target value first appears on, for a regression error.
        let mut first_rows: Vec<usize> = Vec::new();
        let mut dropped = 0;
        let mut row_values: Vec<T> = Vec::with_capacity(features.len());
        loop {
            match rdr.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(fail(e, &rdr, &names)),
            }
            // The reader has moved past the record's newline: the row is the line before.
            let row = target_ids.len() + dropped + 2;
            if record.len() != names.len() {
                let column = names
                    .get(record.len())
                    .cloned()
                    .unwrap_or_else(|| (names.len() + 1).to_string());
                return Err(CsvError::Ragged {
                    file,
                    row,
                    expected: names.len(),
                    found: record.len(),
                    column,
                });
            }
            let text = |i: usize| {
                std::str::from_utf8(&record[i]).map_err(|_| CsvError::NotUtf8 {
                    file: file.clone(),
                    row,
                    column: names[i].clone(),
                })
            };
            let missing = |i: usize, value: &str| CsvError::Missing {
                file: file.clone(),
                row,
                column: names[i].clone(),
                value: value.to_string(),
            };
            row_values.clear();
            let mut skip_row = false;
            for &i in &features {
                let s = text(i)?;
                if is_missing(s) {
                    if options.drop_missing {
                        skip_row = true;
                        break;
                    }
                    return Err(missing(i, s));
                }
                match s.parse::<f64>() {
                    Ok(v) if v.is_finite() => row_values.push(in_range::<T>(v, &file, row, &names[i], s)?),
                    _ => {
                        return Err(CsvError::NotNumeric {
                            file,
                            row,
                            column: names[i].clone(),
                            value: shorten(s),
                        })
                    }
                }
            }
            let t = match target_col {
                Some(c) if !options.ignore_target => text(c)?,
                _ => "0",
            };
            if !skip_row && is_missing(t) {
                if !options.drop_missing {
                    return Err(missing(target_col.unwrap_or(0), t));
                }
                skip_row = true;
            }
            if skip_row {
                dropped += 1;
                continue;
            }
            let next = distinct.len();
            let id = *distinct.entry(t.to_string()).or_insert(next);
            if id == next {
                first_rows.push(row);
            }
            target_ids.push(id);
            x.extend_from_slice(&row_values);
        }
        let rows = target_ids.len();
        if rows == 0 {
            return Err(CsvError::NoRows { file, dropped });
        }
        let mut by_id: Vec<String> = vec![String::new(); distinct.len()];
        for (name, id) in distinct {
            by_id[id] = name;
        }
        let numbers: Option<Vec<f64>> = by_id
            .iter()
            .map(|s| s.parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect();
        let integers = numbers
            .as_ref()
            .is_some_and(|v| v.iter().all(|x| x.fract() == 0.0));
        let classes = match options.task {
            _ if options.ignore_target => false,
            Task::Classification => true,
            Task::Regression => false,
            Task::Auto => numbers.is_none() || (integers && by_id.len() <= AUTO_MAX_CLASSES),
        };
        let target = if classes {
            if by_id.len() == 1 {
                return Err(CsvError::OneClass {
                    file,
                    column: options.target.clone(),
                    class: by_id.swap_remove(0),
                    rows,
                });
            }
            let mut order: Vec<usize> = (0..by_id.len()).collect();
            match &numbers {
                Some(v) if integers => order.sort_by(|&a, &b| v[a].total_cmp(&v[b])),
                _ => order.sort_by(|&a, &b| by_id[a].cmp(&by_id[b])),
            }
            let mut rank = vec![0; order.len()];
            order.iter().enumerate().for_each(|(r, &id)| rank[id] = r);
            Target::Classes {
                labels: target_ids.iter().map(|&id| rank[id]).collect(),
                names: order.iter().map(|&id| by_id[id].clone()).collect(),
            }
        } else {
            let Some(v) = numbers else {
                // Ids are numbered in order of first appearance: the first bad id is the first row.
                let id = (0..by_id.len())
                    .find(|&id| by_id[id].parse::<f64>().map_or(true, |v| !v.is_finite()))
                    .unwrap_or(0);
                return Err(CsvError::NotNumeric {
                    file,
                    row: first_rows[id],
                    column: options.target.clone(),
                    value: shorten(&by_id[id]),
                });
            };
            // The values stay f64, but a model of T trains on them as T.
            for (id, &y) in v.iter().enumerate() {
                in_range::<T>(y, &file, first_rows[id], &options.target, &by_id[id])?;
            }
            Target::Values(target_ids.iter().map(|&id| v[id]).collect())
        };
        let x = Tensor::from_vec(x, &[rows, features.len()]).expect("rows of the header's width");
        Ok(Self {
            x,
            feature_names: features.iter().map(|&i| names[i].clone()).collect(),
            target_name: options.target.clone(),
            target,
            dropped,
            has_target: target_col.is_some(),
        })
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.x.shape()[0]
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows at `indices`, in that order.
    ///
    /// # Panics
    /// If an index is `>= self.len()` (a bug in the caller, not bad data).
    #[track_caller]
    pub fn select(&self, indices: &[usize]) -> Self {
        let n = self.len();
        if let Some(&i) = indices.iter().find(|&&i| i >= n) {
            panic!("Table::select: index {i} is out of range for a table of {n} rows");
        }
        let target = match &self.target {
            Target::Classes { labels, names } => Target::Classes {
                labels: indices.iter().map(|&i| labels[i]).collect(),
                names: names.clone(),
            },
            Target::Values(v) => Target::Values(indices.iter().map(|&i| v[i]).collect()),
        };
        Self {
            x: gather_rows(&self.x, indices),
            feature_names: self.feature_names.clone(),
            target_name: self.target_name.clone(),
            target,
            dropped: self.dropped,
            has_target: self.has_target,
        }
    }

    /// `(train, test)` with `round(len * fraction)` test rows, seeded: stratified by class for a
    /// classification table (see [`Dataset::split_stratified`]), a plain shuffle for regression.
    ///
    /// ```
    /// use chainrule::nn::data::{CsvOptions, Table};
    /// let csv = "x,y\n1,a\n2,a\n3,b\n4,b\n5,a\n6,b\n";
    /// let t = Table::<f32>::from_reader(csv.as_bytes(), "t", &CsvOptions::new("y")).unwrap();
    /// let (train, test) = t.split(0.34, 3); // round(3 * 0.34) = 1 row of each class
    /// assert_eq!((train.len(), test.len()), (4, 2));
    /// ```
    pub fn split(&self, fraction: f64, seed: u64) -> (Self, Self) {
        let (train, test) = match &self.target {
            Target::Classes { labels, .. } => stratified_indices(labels, fraction, seed),
            Target::Values(v) => split_indices(v.len(), fraction, seed),
        };
        (self.select(&train), self.select(&test))
    }

    /// The table as a [`Dataset`]: classes, or one regression output per row.
    ///
    /// ```
    /// use chainrule::nn::data::{CsvOptions, Table};
    /// let t = Table::<f64>::from_reader("x,y\n1,0.5\n2,1.5\n".as_bytes(), "t", &CsvOptions::new("y")).unwrap();
    /// assert_eq!(t.to_dataset().values.unwrap().as_slice(), &[0.5, 1.5]);
    /// ```
    pub fn to_dataset(&self) -> Dataset<T> {
        match &self.target {
            Target::Classes { labels, names } => Dataset {
                x: self.x.clone(),
                labels: labels.clone(),
                classes: names.len(),
                values: None,
            },
            Target::Values(v) => Dataset {
                x: self.x.clone(),
                labels: Vec::new(),
                classes: 0,
                values: Some(
                    Tensor::from_vec(v.iter().map(|&y| T::from_f64(y)).collect(), &[v.len(), 1])
                        .expect("one value per row"),
                ),
            },
        }
    }
}
