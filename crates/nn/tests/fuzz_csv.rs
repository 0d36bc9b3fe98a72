//! Fuzzing the CSV reader (issue 10): random bytes and mutants of small valid tables and of
//! `data/iris.csv` into `nn::data::Table::from_reader` and `from_path`, with random options.
//! Every case must end in a table or a one-line error naming the file (and the row, 1-based
//! counting the header, and the column where one applies), never a panic; a table that loads is
//! usable (finite features and targets, finite standardised features and targets, labels in
//! range, split and dataset), and no single allocation may exceed a small multiple of the
//! input (a counting allocator, as in `fuzz_idx.rs`).
//!
//! Mutations work on cells (replaced by `NA`, `nan`, `inf`, `1e400`, empty, text, bytes that
//! are not UTF-8, quoted commas), rows (made ragged), the header (names duplicated, removed,
//! thousands of extra columns) and bytes (a BOM, CR/LF mixes, unbalanced quotes, truncation,
//! insertions).
//!
//! 256 cases per property by default; `CHAINRULE_FUZZ_CASES` for the long run (see
//! `docs/reliability.md`). `tests/suite/csv.rs` has the reader's example-based tests.

use autograd::{Float, Tensor};
use nn::data::{CsvError, CsvOptions, StandardScaler, Table, Target, Task};
use proptest::prelude::*;

mod common;
use common::{count_loaded, fuzz, largest_allocation, scratch_dir};

#[global_allocator]
static ALLOCATOR: common::LargestAllocation = common::LargestAllocation;

const IRIS: &str = include_str!("../../../data/iris.csv");

/// A table as cells: the header row first.
type Grid = Vec<Vec<Vec<u8>>>;

fn to_grid(text: &str) -> Grid {
    text.lines()
        .map(|l| l.split(',').map(|c| c.as_bytes().to_vec()).collect())
        .collect()
}

/// The cells joined by commas, each row ended by `eol`.
fn render(grid: &Grid, eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for row in grid {
        for (i, cell) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(cell);
        }
        out.extend_from_slice(eol);
    }
    out
}

/// A valid table: 1 to 4 features named `f0`.., a target `y` of classes, integers or floats,
/// 1 to 8 rows.
fn valid_table() -> impl Strategy<Value = Grid> {
    (1..5usize, 1..9usize, 0..3u8).prop_flat_map(|(features, rows, kind)| {
        let row = (
            proptest::collection::vec(-1000.0..1000.0f64, features),
            0..4u8,
            -50.0..50.0f64,
        );
        proptest::collection::vec(row, rows).prop_map(move |rows| {
            let mut header: Vec<Vec<u8>> = (0..features).map(|i| format!("f{i}").into_bytes()).collect();
            header.push(b"y".to_vec());
            let mut grid = vec![header];
            for (x, class, value) in rows {
                let mut r: Vec<Vec<u8>> = x.iter().map(|v| format!("{v}").into_bytes()).collect();
                r.push(match kind {
                    0 => format!("class{class}").into_bytes(),
                    1 => format!("{class}").into_bytes(),
                    _ => format!("{value}").into_bytes(),
                });
                grid.push(r);
            }
            grid
        })
    })
}

/// Cell contents a hostile or careless file holds.
fn bad_cell() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"NA".to_vec()),
        Just(b"nan".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"inf".to_vec()),
        Just(b"-inf".to_vec()),
        Just(b"1e400".to_vec()),
        Just(b"-1e400".to_vec()),
        Just(b"1e308".to_vec()),
        Just(b"-1.7e308".to_vec()),
        Just(b"3.4e38".to_vec()),
        Just(b"1e39".to_vec()),
        Just(b"1e-320".to_vec()),
        Just(Vec::new()),
        Just(b"  ".to_vec()),
        Just(b"abc".to_vec()),
        Just(b"1,5".to_vec()),
        Just(b"\"1,5\"".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"caf\xc3".to_vec()),
        Just("\u{feff}1".as_bytes().to_vec()),
        Just(b"0x10".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..6),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the cell at (wrapped) row and column.
    Cell(usize, usize, Vec<u8>),
    /// Remove the (wrapped) cell of a row.
    DropCell(usize, usize),
    /// Append a cell to a row.
    AddCell(usize, Vec<u8>),
    /// Give header column `a` the name of column `b`.
    DuplicateName(usize, usize),
    /// Remove a row (the header too, if it is row 0).
    DropRow(usize),
    /// Append this many extra columns named `c<i>` to the header.
    WideHeader(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<usize>(), any::<usize>(), bad_cell()).prop_map(|(r, c, v)| Mutation::Cell(r, c, v)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(r, c)| Mutation::DropCell(r, c)),
        1 => (any::<usize>(), bad_cell()).prop_map(|(r, v)| Mutation::AddCell(r, v)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::DuplicateName(a, b)),
        1 => any::<usize>().prop_map(Mutation::DropRow),
        1 => prop_oneof![1..40usize, Just(1000), Just(65_534), Just(65_535), Just(65_536), Just(70_000)]
            .prop_map(Mutation::WideHeader),
    ]
}

fn apply(grid: &mut Grid, m: &Mutation) {
    if grid.is_empty() {
        return;
    }
    let rows = grid.len();
    match m {
        Mutation::Cell(r, c, v) => {
            let row = &mut grid[r % rows];
            if !row.is_empty() {
                let n = row.len();
                row[c % n] = v.clone();
            }
        }
        Mutation::DropCell(r, c) => {
            let row = &mut grid[r % rows];
            if !row.is_empty() {
                let n = row.len();
                row.remove(c % n);
            }
        }
        Mutation::AddCell(r, v) => grid[r % rows].push(v.clone()),
        Mutation::DuplicateName(a, b) => {
            let header = &mut grid[0];
            if !header.is_empty() {
                let n = header.len();
                header[a % n] = header[b % n].clone();
            }
        }
        Mutation::DropRow(r) => {
            grid.remove(r % rows);
        }
        Mutation::WideHeader(n) => grid[0].extend((0..*n).map(|i| format!("c{i}").into_bytes())),
    }
}

#[derive(Clone, Debug)]
enum ByteMutation {
    /// A UTF-8 byte-order mark in front.
    Bom,
    /// Keep this many (wrapped) bytes.
    Truncate(usize),
    /// Insert bytes at a (wrapped) position: quotes, line ends, anything.
    Insert(usize, Vec<u8>),
    /// XOR a (wrapped) byte.
    Flip(usize, u8),
}

fn byte_mutation() -> impl Strategy<Value = ByteMutation> {
    let inserted = prop_oneof![
        Just(b"\"".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b",".to_vec()),
        Just(b"\0".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..6),
    ];
    prop_oneof![
        Just(ByteMutation::Bom),
        any::<usize>().prop_map(ByteMutation::Truncate),
        (any::<usize>(), inserted).prop_map(|(i, b)| ByteMutation::Insert(i, b)),
        (any::<usize>(), 1..=255u8).prop_map(|(i, m)| ByteMutation::Flip(i, m)),
    ]
}

fn apply_bytes(b: &mut Vec<u8>, m: &ByteMutation) {
    match m {
        ByteMutation::Bom => {
            b.splice(0..0, [0xef, 0xbb, 0xbf]);
        }
        ByteMutation::Truncate(n) => b.truncate(n % (b.len() + 1)),
        ByteMutation::Insert(i, bytes) => {
            let i = i % (b.len() + 1);
            b.splice(i..i, bytes.iter().copied());
        }
        ByteMutation::Flip(i, mask) => {
            if !b.is_empty() {
                let i = i % b.len();
                b[i] ^= mask;
            }
        }
    }
}

/// Reading options: usually the real target, sometimes another or a missing column, any task,
/// dropping missing rows or not, a model's feature list, rows to predict.
fn options() -> impl Strategy<Value = CsvOptions> {
    (
        prop_oneof![4 => Just("y".to_string()), 2 => Just("species".to_string()), 1 => Just("f0".to_string()), 1 => Just("nope".to_string())],
        prop_oneof![Just(Task::Auto), Just(Task::Classification), Just(Task::Regression)],
        any::<bool>(),
        proptest::option::weighted(0.15, Just(vec!["f0".to_string(), "f1".to_string()])),
        proptest::bool::weighted(0.15),
        proptest::option::weighted(0.1, Just("f1".to_string())),
    )
        .prop_map(|(target, task, drop_missing, features, ignore_target, ignore)| CsvOptions {
            target,
            task,
            drop_missing,
            features,
            ignore_target,
            ignore: ignore.into_iter().collect(),
        })
}

/// The row and column an error names, where its kind has them.
fn location(e: &CsvError) -> (Option<usize>, Option<&str>) {
    match e {
        CsvError::NotUtf8 { row, column, .. }
        | CsvError::TooLong { row, column, .. }
        | CsvError::Ragged { row, column, .. }
        | CsvError::NotNumeric { row, column, .. }
        | CsvError::Missing { row, column, .. }
        | CsvError::OutOfRange { row, column, .. } => (Some(*row), Some(column)),
        CsvError::TooWide { row, .. } | CsvError::Malformed { row, .. } => (Some(*row), None),
        CsvError::Columns { .. } | CsvError::DuplicateColumn { .. } | CsvError::UnknownColumn { .. } => {
            (Some(1), None)
        }
        CsvError::OneClass { column, .. } => (None, Some(column)),
        CsvError::Io { .. } | CsvError::Empty { .. } | CsvError::NoRows { .. } => (None, None),
    }
}

/// A column name as messages show it: control characters escaped.
fn shown(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Uses a table that loaded: shapes, finite values, labels in range, finite standardisation,
/// a split and a dataset.
fn use_table<T: Float>(t: &Table<T>, options: &CsvOptions) -> Result<(), TestCaseError> {
    let rows = t.len();
    prop_assert!(rows >= 1);
    prop_assert_eq!(t.x.shape(), &[rows, t.feature_names.len()][..]);
    prop_assert!(
        t.x.as_slice().iter().all(|v| v.is_finite()),
        "a feature is not finite"
    );
    let z = StandardScaler::fit(&t.x).unwrap().transform(&t.x).unwrap();
    prop_assert!(
        z.as_slice().iter().all(|v| v.is_finite()),
        "a standardised feature is not finite: {:?} from {:?}",
        z.as_slice(),
        t.x.as_slice()
    );
    match &t.target {
        Target::Classes { labels, names } => {
            prop_assert!(names.len() >= 2);
            prop_assert_eq!(labels.len(), rows);
            prop_assert!(labels.iter().all(|&l| l < names.len()));
            prop_assert!(options.task != Task::Regression && !options.ignore_target);
        }
        Target::Values(v) => {
            prop_assert_eq!(v.len(), rows);
            prop_assert!(v.iter().all(|y| y.is_finite()));
            prop_assert!(options.task != Task::Classification || options.ignore_target);
            let y = Tensor::from_vec(v.iter().map(|&y| T::from_f64(y)).collect(), &[rows, 1]).unwrap();
            prop_assert!(
                y.as_slice().iter().all(|v| v.is_finite()),
                "a target is not finite in the element type"
            );
            let zy = StandardScaler::fit(&y).unwrap().transform(&y).unwrap();
            prop_assert!(
                zy.as_slice().iter().all(|v| v.is_finite()),
                "a standardised target is not finite: {:?}",
                v
            );
        }
    }
    let d = t.to_dataset();
    prop_assert_eq!(d.len(), rows);
    let (a, b) = t.split(0.3, 7);
    prop_assert_eq!(a.len() + b.len(), rows);
    Ok(())
}

/// Reads `bytes` in f64 and f32: a usable table or a one-line error naming the file, the row
/// (within the file's lines) and the column where it applies; bounded allocation.
fn read(bytes: &[u8], options: &CsvOptions) -> Result<(), TestCaseError> {
    let lines = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count() + 1;
    let (r64, largest64) = largest_allocation(|| Table::<f64>::from_reader(bytes, "fuzz.csv", options));
    let (r32, largest32) = largest_allocation(|| Table::<f32>::from_reader(bytes, "fuzz.csv", options));
    // A number takes at least two bytes ("1,"), kept in a growing vector of 8-byte values
    // (16 bytes per two input bytes at most after doubling); a header name costs its String
    // (24 bytes) and a hash-map slot for every two bytes.
    let bound = 64 * bytes.len() + (64 << 10);
    prop_assert!(
        largest64 <= bound,
        "an allocation of {} bytes for {} input bytes",
        largest64,
        bytes.len()
    );
    prop_assert!(
        largest32 <= bound,
        "an allocation of {} bytes for {} input bytes",
        largest32,
        bytes.len()
    );
    match (&r64, &r32) {
        (Ok(a), Ok(b)) => {
            prop_assert_eq!(&a.feature_names, &b.feature_names);
            count_loaded();
            use_table(a, options)?;
            use_table(b, options)?;
        }
        _ => {
            for e in [r64.as_ref().err(), r32.as_ref().err()].into_iter().flatten() {
                let msg = e.to_string();
                prop_assert!(msg.starts_with("fuzz.csv: "), "{}", msg);
                prop_assert!(!msg.contains('\n') && !msg.contains('\r'), "{}", msg);
                let (row, column) = location(e);
                if let Some(row) = row {
                    prop_assert!(
                        row >= 1 && row <= lines,
                        "row {} of {} lines: {}",
                        row,
                        lines,
                        msg
                    );
                    prop_assert!(msg.contains(&format!("row {row}")), "{}", msg);
                }
                if let Some(column) = column {
                    prop_assert!(msg.contains(&format!("column {}", shown(column))), "{}", msg);
                }
            }
            // Both element types read the same text: an error in one is an error in the other,
            // unless a value fits f64 and not f32.
            if let (Ok(_), Err(e)) = (&r64, &r32) {
                prop_assert!(matches!(e, CsvError::OutOfRange { .. }), "{}", e);
            }
            prop_assert!(r32.is_err() || r64.is_err());
            prop_assert!(
                r64.is_err() <= r32.is_err(),
                "f64 failed where f32 read the table"
            );
        }
    }
    Ok(())
}

#[test]
fn fuzz_random_bytes() {
    let strategy = (
        proptest::collection::vec(
            prop_oneof![4 => any::<u8>(), 2 => Just(b','), 1 => Just(b'\n'), 1 => Just(b'"'), 2 => Just(b'1'), 1 => Just(b'y')],
            0..160,
        ),
        options(),
    );
    fuzz("random bytes", "loaded a table", strategy, |(bytes, options)| {
        read(&bytes, &options)
    });
}

#[test]
fn fuzz_mutated_small_tables() {
    let strategy = (
        valid_table(),
        proptest::collection::vec(mutation(), 0..4),
        proptest::collection::vec(byte_mutation(), 0..3),
        prop_oneof![Just(b"\n".to_vec()), Just(b"\r\n".to_vec()), Just(b"\r".to_vec())],
        options(),
    );
    fuzz(
        "mutated small tables",
        "loaded a table",
        strategy,
        |(mut grid, cells, bytes, eol, options)| {
            for m in &cells {
                apply(&mut grid, m);
            }
            let mut b = render(&grid, &eol);
            for m in &bytes {
                apply_bytes(&mut b, m);
            }
            read(&b, &options)
        },
    );
}

#[test]
fn fuzz_mutated_iris() {
    let strategy = (
        proptest::collection::vec(mutation(), 1..4),
        proptest::collection::vec(byte_mutation(), 0..2),
        options(),
    );
    fuzz(
        "mutated iris",
        "loaded a table",
        strategy,
        |(cells, bytes, mut options)| {
            if options.target == "y" {
                options.target = "species".into();
            }
            let mut grid = to_grid(IRIS);
            for m in &cells {
                apply(&mut grid, m);
            }
            let mut b = render(&grid, b"\n");
            for m in &bytes {
                apply_bytes(&mut b, m);
            }
            read(&b, &options)
        },
    );
}

#[test]
fn fuzz_one_bad_cell_is_located_exactly() {
    // One feature cell of a valid table replaced by a value that is not a finite number: the
    // error names exactly that row (1-based, the header being row 1) and column.
    let strategy = (
        valid_table(),
        any::<usize>(),
        any::<usize>(),
        prop_oneof![
            Just("NA"),
            Just("nan"),
            Just(""),
            Just("inf"),
            Just("-inf"),
            Just("1e400"),
            Just("abc"),
            Just("1e39"),
            Just("\u{fffd}"),
        ],
    );
    fuzz(
        "one bad cell",
        "loaded a table",
        strategy,
        |(mut grid, r, c, value)| {
            let row = 1 + r % (grid.len() - 1);
            let column = c % (grid[0].len() - 1);
            grid[row][column] = value.as_bytes().to_vec();
            let name = format!("f{column}");
            let bytes = render(&grid, b"\n");
            let options = CsvOptions::new("y");
            let e64 = Table::<f64>::from_reader(&bytes[..], "t.csv", &options).err();
            let e32 = Table::<f32>::from_reader(&bytes[..], "t.csv", &options).err();
            // 1e39 is finite in f64: only f32 refuses it.
            let errors: Vec<CsvError> = if value == "1e39" {
                prop_assert!(
                    e64.is_none() || matches!(e64, Some(CsvError::OneClass { .. })),
                    "{:?}",
                    e64
                );
                e32.into_iter().collect()
            } else {
                e64.into_iter().chain(e32).collect()
            };
            prop_assert!(!errors.is_empty() || value == "1e39");
            for e in errors {
                let (at_row, at_column) = location(&e);
                prop_assert_eq!(at_row, Some(row + 1), "{}", e);
                prop_assert_eq!(at_column, Some(name.as_str()), "{}", e);
                let msg = e.to_string();
                prop_assert!(
                    msg.starts_with(&format!("t.csv: row {}, column {name}: ", row + 1)),
                    "{}",
                    msg
                );
            }
            Ok(())
        },
    );
}

#[test]
fn fuzz_mutated_files() {
    // The same through the file system: errors name the path; a directory or a missing file
    // is an I/O error naming it.
    let dir = scratch_dir();
    let path = dir.path().join("table.csv");
    let strategy = (
        valid_table(),
        proptest::collection::vec(mutation(), 0..3),
        0..10u8,
        options(),
    );
    fuzz(
        "mutated files",
        "loaded a table",
        strategy,
        |(mut grid, cells, what, options)| {
            for m in &cells {
                apply(&mut grid, m);
            }
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_dir(&path);
            match what {
                0 => {}
                1 => std::fs::create_dir(&path).unwrap(),
                _ => std::fs::write(&path, render(&grid, b"\n")).unwrap(),
            }
            match Table::<f32>::from_path(&path, &options) {
                Ok(t) => {
                    count_loaded();
                    use_table(&t, &options)?
                }
                Err(e) => {
                    let msg = e.to_string();
                    prop_assert!(msg.starts_with(&format!("{}: ", path.display())), "{}", msg);
                    prop_assert!(!msg.contains('\n'), "{}", msg);
                    if what < 2 {
                        prop_assert!(matches!(e, CsvError::Io { .. }), "{:?}", e);
                    }
                }
            }
            Ok(())
        },
    );
}

#[test]
fn column_names_with_control_characters_keep_messages_on_one_line() {
    // Found by this suite: a quoted header name holding a line end (or an escape sequence)
    // went into the message as it was, breaking it over lines.
    for name in ["a\nb", "a\rb", "a\u{1b}[31mb", "a\tb"] {
        let csv = format!("\"{name}\",y\nx,p\n");
        let e = Table::<f64>::from_reader(csv.as_bytes(), "c.csv", &CsvOptions::new("y")).unwrap_err();
        let msg = e.to_string();
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
        assert_eq!(
            msg,
            format!(
                "c.csv: row 2, column {}: \"x\" is not a finite number",
                shown(name)
            )
        );
        let e = Table::<f64>::from_reader(csv.as_bytes(), "c.csv", &CsvOptions::new("z")).unwrap_err();
        assert!(!e.to_string().chars().any(char::is_control), "{e}");
    }
}
