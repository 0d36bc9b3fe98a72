//! The CSV reader (`nn::data::Table`): every error with its file, row (header = 1) and column,
//! generated malformed tables, bounded memory on hostile files, and label order and task choice.

use crate::common;

use autograd::Tensor;
use nn::data::{CsvError, CsvOptions, StandardScaler, Table, Target, Task, MAX_COLUMNS, MAX_LINE_BYTES};
use proptest::prelude::*;
use std::io::Read;

fn read(csv: &str, options: &CsvOptions) -> Result<Table<f64>, CsvError> {
    Table::from_reader(csv.as_bytes(), "t.csv", options)
}

fn err(csv: &str, target: &str) -> String {
    read(csv, &CsvOptions::new(target)).unwrap_err().to_string()
}

#[test]
fn every_error_names_the_file_row_and_column() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "a,b,y\n1,2,x\n1,oops,z\n",
            "y",
            "t.csv: row 3, column b: \"oops\" is not a finite number",
        ),
        (
            "a,b,y\n1,inf,x\n",
            "y",
            "t.csv: row 2, column b: \"inf\" is not a finite number",
        ),
        (
            "a,b,y\n1,2,x\n1,,z\n",
            "y",
            "t.csv: row 3, column b: missing value \"\" (drop such rows with drop_missing)",
        ),
        (
            "a,b,y\n1,2,x\nNA,2,z\n",
            "y",
            "t.csv: row 3, column a: missing value \"NA\" (drop such rows with drop_missing)",
        ),
        (
            "a,b,y\n1,2,x\n1,NaN,z\n",
            "y",
            "t.csv: row 3, column b: missing value \"NaN\" (drop such rows with drop_missing)",
        ),
        (
            "a,b,y\n1,2,x\n1,2,\n",
            "y",
            "t.csv: row 3, column y: missing value \"\" (drop such rows with drop_missing)",
        ),
        (
            "a,b,y\n1,2,x\n1,2\n",
            "y",
            "t.csv: row 3: 2 fields but the header has 3 (column y is missing)",
        ),
        (
            "a,b,y\n1,2,x,4\n",
            "y",
            "t.csv: row 2: 4 fields but the header has 3 (column 4 is beyond the header)",
        ),
        (
            "a,b,a\n1,2,3\n",
            "b",
            "t.csv: row 1: duplicate column name \"a\" (columns 1 and 3)",
        ),
        (
            "a,b,y\n1,2,3\n",
            "label",
            "t.csv: row 1: no column named \"label\" (columns: a,b,y)",
        ),
        (
            "",
            "y",
            "t.csv: the file is empty (expected a header row naming the columns)",
        ),
        ("a,b,y\n", "y", "t.csv: no data rows after the header"),
        (
            "a,y\n1,cat\n2,cat\n",
            "y",
            "t.csv: column y: the target has one class only (\"cat\" in all 2 rows)",
        ),
    ];
    for (csv, target, want) in cases {
        assert_eq!(&err(csv, target), want, "for {csv:?}");
    }
    let ignore = CsvOptions {
        ignore: vec!["id".into()],
        ..CsvOptions::new("y")
    };
    assert_eq!(
        read("a,y\n1,2\n2,3\n", &ignore).unwrap_err().to_string(),
        "t.csv: row 1: no column named \"id\" (columns: a,y)"
    );
    let regression = CsvOptions {
        task: Task::Regression,
        ..CsvOptions::new("y")
    };
    assert_eq!(
        read("a,y\n1,2.5\n2,3\n3,big\n4,big\n", &regression)
            .unwrap_err()
            .to_string(),
        "t.csv: row 4, column y: \"big\" is not a finite number"
    );
    let e = read("a,y\n1,2\n", &CsvOptions::new("y")).unwrap_err();
    assert!(matches!(e, CsvError::OneClass { rows: 1, .. }), "{e:?}");
}

#[test]
fn a_missing_file_names_its_path() {
    let dir = common::scratch_dir();
    let path = dir.path().join("absent.csv");
    let e = Table::<f32>::from_path(&path, &CsvOptions::new("y")).unwrap_err();
    assert!(matches!(e, CsvError::Io { .. }));
    assert!(
        e.to_string()
            .starts_with(&format!("{}: cannot read", path.display())),
        "{e}"
    );
}

#[test]
fn drop_missing_skips_and_counts_rows_and_keeps_row_numbers_exact() {
    let csv = "a,b,y\n1,2,x\n,2,x\n3,NA,z\n4,5,\n6,7,z\n8,bad,x\n";
    let opts = CsvOptions {
        drop_missing: true,
        ..CsvOptions::new("y")
    };
    // Row 7 is still named correctly after three rows were dropped.
    assert_eq!(
        read(csv, &opts).unwrap_err().to_string(),
        "t.csv: row 7, column b: \"bad\" is not a finite number"
    );
    let t = read(&csv[..csv.len() - 8], &opts).unwrap();
    assert_eq!(t.dropped, 3);
    assert_eq!(t.x.as_slice(), &[1.0, 2.0, 6.0, 7.0]);
    assert_eq!(
        read("a,y\n,1\nNA,2\n", &opts).unwrap_err().to_string(),
        "t.csv: no data rows after the header (2 dropped for missing values)"
    );
}

#[test]
fn labels_are_sorted_numerically_or_by_name_and_the_task_is_chosen_from_the_target() {
    let t = read("a,y\n1,10\n2,2\n3,10\n4,-1\n", &CsvOptions::new("y")).unwrap();
    assert_eq!(
        t.target,
        Target::Classes {
            labels: vec![2, 1, 2, 0],
            names: vec!["-1".into(), "2".into(), "10".into()]
        }
    );
    let t = read("a,y\nb,malignant\n2,benign\n", &CsvOptions::new("a")).unwrap_err();
    assert_eq!(
        t.to_string(),
        "t.csv: row 2, column y: \"malignant\" is not a finite number"
    );
    let t = read("a,y\n1,malignant\n2,benign\n", &CsvOptions::new("y")).unwrap();
    assert_eq!(t.to_dataset().labels, vec![1, 0]);
    // A fraction makes a float target: regression.
    let t = read("a,y\n1,0.5\n2,2\n", &CsvOptions::new("y")).unwrap();
    assert_eq!(t.target, Target::Values(vec![0.5, 2.0]));
    let d = t.to_dataset();
    assert!(d.is_regression() && d.labels.is_empty());
    assert_eq!(d.values.unwrap().as_slice(), &[0.5, 2.0]);
    // More than AUTO_MAX_CLASSES distinct integers: regression too; forced classification keeps them.
    let many: String = (0..30).map(|i| format!("{i},{}\n", i * 7)).collect();
    let csv = format!("a,y\n{many}");
    assert!(matches!(
        read(&csv, &CsvOptions::new("y")).unwrap().target,
        Target::Values(_)
    ));
    let forced = CsvOptions {
        task: Task::Classification,
        ..CsvOptions::new("y")
    };
    let Target::Classes { names, .. } = read(&csv, &forced).unwrap().target else {
        panic!("classes")
    };
    assert_eq!((names.len(), names[29].as_str()), (30, "203"));
    // Ignored columns are neither features nor checked; quoted fields and spaces are fine.
    let opts = CsvOptions {
        ignore: vec!["note".into()],
        ..CsvOptions::new("y")
    };
    let t = read("note,a,y\n\"free, text\", 1.5 ,p\nzz,2,q\n", &opts).unwrap();
    assert_eq!(
        (t.feature_names.clone(), t.x.as_slice().to_vec()),
        (vec!["a".to_string()], vec![1.5, 2.0])
    );
}

/// A reader of `prefix`, then `n` copies of `byte`, then `suffix`, generated as read.
fn generated<'a>(prefix: &'a str, byte: u8, n: u64, suffix: &'a str) -> impl Read + 'a {
    prefix
        .as_bytes()
        .chain(std::io::repeat(byte).take(n))
        .chain(suffix.as_bytes())
}

#[test]
fn hostile_files_are_refused_in_bounded_memory() {
    let opts = CsvOptions::new("y");
    // A 64 MiB field in row 3, column b.
    let (r, peak) = common::largest_allocation(|| {
        Table::<f32>::from_reader(
            generated("a,b,y\n1,2,x\n1,", b'7', 64 << 20, ",y\n"),
            "h.csv",
            &opts,
        )
    });
    assert_eq!(
        r.unwrap_err().to_string(),
        format!("h.csv: row 3, column b: line longer than {MAX_LINE_BYTES} bytes")
    );
    assert!(peak < 4 * MAX_LINE_BYTES, "largest allocation {peak}");
    // 64 MiB of commas: the header never ends.
    let (r, peak) = common::largest_allocation(|| {
        Table::<f32>::from_reader(generated("", b',', 64 << 20, ""), "c.csv", &opts)
    });
    assert_eq!(
        r.unwrap_err().to_string(),
        format!("c.csv: row 1: more than {MAX_COLUMNS} columns")
    );
    assert!(peak < 4 * MAX_LINE_BYTES, "largest allocation {peak}");
    // A quoted field that never closes is one long field too.
    let (r, _) = common::largest_allocation(|| {
        Table::<f32>::from_reader(generated("a,y\n1,\"", b'\n', 64 << 20, ""), "q.csv", &opts)
    });
    let e = r.unwrap_err();
    assert!(
        matches!(e, CsvError::TooLong { row: 2, ref column, .. } if column == "y"),
        "{e:?}"
    );
    // Commas with line breaks: empty column names, the second a duplicate.
    assert_eq!(
        err(",,\n,,\n", "y"),
        "t.csv: row 1: duplicate column name \"\" (columns 1 and 2)"
    );
    // Non-UTF-8 bytes in a value and in the header.
    let bytes = b"a,b,y\n1,2,x\n1,\xff\xfe,x\n";
    let e = Table::<f32>::from_reader(&bytes[..], "u.csv", &opts).unwrap_err();
    assert_eq!(e.to_string(), "u.csv: row 3, column b: not valid UTF-8");
    let e = Table::<f32>::from_reader(&b"a,\xc3(,y\n"[..], "u.csv", &opts).unwrap_err();
    assert_eq!(e.to_string(), "u.csv: row 1, column 2: not valid UTF-8");
}

#[derive(Clone, Debug)]
enum Fault {
    NotNumeric,
    Missing(&'static str),
    Short,
    Long,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(common::cases()))]

    /// A valid generated table with one fault planted at a random row and column: the error names
    /// exactly that row and column; without the fault the table reads back its values.
    #[test]
    fn generated_malformed_tables_name_the_faulty_cell(
        rows in 1usize..20,
        cols in 1usize..6,
        seed in any::<u64>(),
        fault in prop_oneof![
            Just(Fault::NotNumeric),
            Just(Fault::Missing("")),
            Just(Fault::Missing("NA")),
            Just(Fault::Missing("nan")),
            Just(Fault::Short),
            Just(Fault::Long),
        ],
    ) {
        let (r, c) = ((seed % rows as u64) as usize, ((seed >> 32) % cols as u64) as usize);
        let header: Vec<String> = (0..cols).map(|j| format!("f{j}")).collect();
        let mut lines = vec![format!("{},y", header.join(","))];
        let mut values: Vec<f64> = Vec::new();
        for i in 0..rows {
            let row: Vec<f64> = (0..cols).map(|j| (i * cols + j) as f64 * 0.25 - 3.0).collect();
            values.extend(&row);
            lines.push(format!("{},{}", row.iter().map(f64::to_string).collect::<Vec<_>>().join(","), ["a", "b"][i % 2]));
        }
        let classes = if rows > 1 { 2 } else { 1 };
        let clean = lines.join("\n") + "\n";
        let t = read(&clean, &CsvOptions::new("y"));
        if classes == 1 {
            let one_class = matches!(t, Err(CsvError::OneClass { .. }));
            prop_assert!(one_class);
        } else {
            prop_assert_eq!(t.unwrap().x.to_vec(), values);
        }
        let mut cells: Vec<String> = lines[r + 1].split(',').map(String::from).collect();
        let row = r + 2;
        let want = match fault {
            Fault::NotNumeric => {
                cells[c] = "x1".into();
                format!("t.csv: row {row}, column f{c}: \"x1\" is not a finite number")
            }
            Fault::Missing(m) => {
                cells[c] = m.into();
                format!("t.csv: row {row}, column f{c}: missing value \"{m}\" (drop such rows with drop_missing)")
            }
            Fault::Short => {
                // At least one field: the csv crate skips an empty line.
                let k = c.max(1);
                cells.truncate(k);
                let name = if k < cols { format!("f{k}") } else { "y".into() };
                format!("t.csv: row {row}: {k} fields but the header has {} (column {name} is missing)", cols + 1)
            }
            Fault::Long => {
                cells.push("9".into());
                format!("t.csv: row {row}: {} fields but the header has {} (column {} is beyond the header)", cols + 2, cols + 1, cols + 2)
            }
        };
        lines[r + 1] = cells.join(",");
        let bad = lines.join("\n") + "\n";
        prop_assert_eq!(err(&bad, "y"), want);
    }
}

#[test]
fn expected_feature_columns_are_checked_before_any_row() {
    let options = CsvOptions {
        features: Some(vec!["a".into(), "b".into()]),
        ignore_target: true,
        ..CsvOptions::new("y")
    };
    // The bad value in row 2 is never reached: the header is wrong already.
    let e = read("a,c,y\nx,1,0\n", &options).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"t.csv: row 1: the model was trained on columns ["a", "b"]; missing: ["b"], extra: ["c"]"#
    );
    // Without the target column: every target 0, flagged.
    let t = read("a,b\n1,2\n3,4\n", &options).unwrap();
    assert!(!t.has_target);
    assert_eq!(t.target, Target::Values(vec![0.0, 0.0]));
    let t = read("a,b,y\n1,2,seven\n3,4,\n", &options).unwrap();
    assert!(t.has_target);
    // Its values are not read: text in it is no error.
    assert_eq!(t.target, Target::Values(vec![0.0, 0.0]));
    // The same columns in another order are matched by name and read in the model's order.
    let t = read("y,b,a\n0,2,1\n0,4,3\n", &options).unwrap();
    assert_eq!(t.feature_names, ["a", "b"]);
    assert_eq!(t.x.to_vec(), [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn values_near_the_limits_of_f64_standardise_to_finite_numbers() {
    // Found by fuzz_csv: the scaler summed 1e308 + 1e308 (infinite mean) and squared
    // differences of 1e200 (infinite variance), so a column of finite values standardised to
    // NaN. Values of both signs near f64::MAX, and a column that is plain.
    let csv = "a,b,y\n1e308,1,p\n1.7e308,2,q\n-1.7e308,3,p\n-1.7e308,4,q\n";
    let t = Table::<f64>::from_reader(csv.as_bytes(), "big.csv", &CsvOptions::new("y")).unwrap();
    let s = StandardScaler::fit(&t.x).unwrap();
    assert!(s.mean[0].is_finite() && s.scale[0].is_finite(), "{s:?}");
    assert_eq!((s.mean[1], s.scale[1]), (2.5, 1.25f64.sqrt()));
    let z = s.transform(&t.x).unwrap();
    assert!(z.as_slice().iter().all(|v| v.is_finite()), "{:?}", z.as_slice());
    // The scaled column is centred and of unit variance, as a plain one is.
    let col: Vec<f64> = z.as_slice().iter().step_by(2).copied().collect();
    let mean = col.iter().sum::<f64>() / 4.0;
    let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
    assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12, "{mean} {var}");
    // A regression target of such values too.
    let y = Tensor::from_vec(vec![1.7e308f64, -1.7e308, 1e308], &[3, 1]).unwrap();
    let sy = StandardScaler::fit(&y).unwrap();
    assert!(sy.transform(&y).unwrap().as_slice().iter().all(|v| v.is_finite()));
}

#[test]
fn values_beyond_f32_are_refused_by_name_in_f32_tables() {
    // Found by fuzz_csv: 1e39 is finite in f64, so it passed the check and became inf in an
    // f32 table (a feature, or a regression target converted for training).
    let feature = "a,y\n1,p\n1e39,q\n";
    let e = Table::<f32>::from_reader(feature.as_bytes(), "w.csv", &CsvOptions::new("y")).unwrap_err();
    assert_eq!(
        e.to_string(),
        "w.csv: row 3, column a: \"1e39\" is beyond the range of float32 (largest magnitude 3.4028234663852886e38)"
    );
    assert!(Table::<f64>::from_reader(feature.as_bytes(), "w.csv", &CsvOptions::new("y")).is_ok());
    let target = "a,y\n1,0.5\n2,-4e38\n3,-4e38\n";
    let mut o = CsvOptions::new("y");
    o.task = Task::Regression;
    let e = Table::<f32>::from_reader(target.as_bytes(), "w.csv", &o).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("w.csv: row 3, column y: \"-4e38\" is beyond"),
        "{e}"
    );
    assert!(Table::<f64>::from_reader(target.as_bytes(), "w.csv", &o).is_ok());
}
