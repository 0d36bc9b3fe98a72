//! `train`'s data: the images (the embedded digits or IDX files) or a CSV table with its task,
//! test rows and standardisation, with the first lines printed and the checkpoint's keys.

use super::{Args, TaskKind};
use crate::tabular::{self, Prep};
use crate::{data, usage};
use anyhow::Result;
use autograd::Float;
use nn::checkpoint::Metadata;
use nn::data::{CsvOptions, Dataset, Task};
use std::path::Path;

/// The data of a run, whichever the source.
pub(super) struct Loaded<T: Float> {
    pub(super) train: Dataset<T>,
    pub(super) test: Dataset<T>,
    /// What the data is, for the title and the first line.
    pub(super) name: String,
    /// The first line printed.
    pub(super) line: String,
    /// Keys for the checkpoint's metadata.
    pub(super) meta: Metadata,
    /// The CSV preprocessing (None for images).
    pub(super) prep: Option<Prep>,
}

/// Images: the embedded digits or IDX files.
pub(super) fn load_images<T: Float>(args: &Args, dir: Option<&Path>) -> Result<Loaded<T>> {
    let pixel_max = data::pixel_max(dir, args.pixel_max);
    let (train, test) = data::train_and_test::<T>(dir, pixel_max)?;
    let mut meta = Metadata::new();
    meta.insert("chainrule.pixel_max".into(), pixel_max.to_string());
    meta.insert(
        "chainrule.data".into(),
        dir.map_or("digits".into(), |d| d.display().to_string()),
    );
    Ok(Loaded {
        line: format!(
            "data: {}, {} training and {} test examples, {} features, {} classes, pixels / {pixel_max}",
            data::describe(dir),
            train.len(),
            test.len(),
            train.features(),
            train.classes
        ),
        name: data::describe(dir),
        train,
        test,
        meta,
        prep: None,
    })
}

/// A CSV table: the task chosen (and why), a test file or a split, standardisation fitted on
/// the training rows.
pub(super) fn load_table<T: Float>(args: &Args, file: &Path, target: &str) -> Result<Loaded<T>> {
    let task = match args.task {
        None => Task::Auto,
        Some(TaskKind::Classification) => Task::Classification,
        Some(TaskKind::Regression) => Task::Regression,
    };
    let options = CsvOptions {
        target: target.to_string(),
        task,
        drop_missing: args.drop_missing,
        ..CsvOptions::default()
    };
    let table = tabular::read::<T>(file, "--data", &options)?;
    let reason = tabular::task_reason(&table, task);
    let (train_table, test_table, test_name) = match &args.test {
        Some(path) => {
            let prep = Prep::fit(&table)?;
            let test = tabular::read::<T>(path, "--test", &prep.options(args.drop_missing, false))?;
            (table, test, path.display().to_string())
        }
        None => {
            let fraction = args.split.unwrap_or(0.2);
            let (train, test) = table.split(fraction, args.seed);
            if train.is_empty() || test.is_empty() {
                return Err(usage(format!(
                    "--split {fraction} of {} rows leaves an empty training or test set",
                    table.len()
                )));
            }
            let name = format!("held out by --split {fraction}");
            (train, test, name)
        }
    };
    let prep = Prep::fit(&train_table)?;
    let train = prep.dataset(&train_table, file)?;
    let test = prep.dataset(&test_table, args.test.as_deref().unwrap_or(file))?;
    let dropped = train_table.dropped.max(test_table.dropped);
    let mut line = format!(
        "data: {}, {} training and {} test rows ({test_name}), {} features, target {target}",
        file.display(),
        train.len(),
        test.len(),
        train.features(),
    );
    if args.drop_missing {
        line.push_str(&format!(", {dropped} rows with missing values dropped"));
    }
    line.push('\n');
    line.push_str(&reason);
    if !prep.features.constant.is_empty() {
        let names: Vec<&str> = prep
            .features
            .constant
            .iter()
            .map(|&c| prep.schema.features[c].as_str())
            .collect();
        line.push_str(&format!(
            "\nconstant columns (centred, not scaled): {}",
            names.join(", ")
        ));
    }
    let mut meta = Metadata::new();
    prep.to_metadata(&mut meta);
    meta.insert("chainrule.data".into(), file.display().to_string());
    Ok(Loaded {
        train,
        test,
        name: file.display().to_string(),
        line,
        meta,
        prep: Some(prep),
    })
}
