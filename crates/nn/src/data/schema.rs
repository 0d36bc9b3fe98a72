//! A table's columns and class names, stored in a checkpoint's metadata so that a model refuses
//! a table with other columns and prints its classes by name.

use super::{Table, Target};
use crate::checkpoint::Metadata;
use autograd::Float;

/// What can go wrong reading a [`Schema`] or checking a table against it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SchemaError {
    /// The metadata lacks a key or holds a malformed value.
    #[error("schema: metadata key {key:?}: {message}")]
    Metadata {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The table's feature columns are not the model's.
    #[error("the model was trained on columns {expected:?}; missing: {missing:?}, extra: {extra:?}{}", if .missing.is_empty() && .extra.is_empty() { " (same columns, another order)" } else { "" })]
    Columns {
        /// The model's feature columns, in order.
        expected: Vec<String>,
        /// The model's columns the table lacks.
        missing: Vec<String>,
        /// The table's columns the model does not know.
        extra: Vec<String>,
    },
}

/// The feature columns, the target column and (for classification) the class names of the
/// table a model was trained on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// The feature columns, in order.
    pub features: Vec<String>,
    /// The target column.
    pub target: String,
    /// The class names for classification, `None` for regression.
    pub classes: Option<Vec<String>>,
}

impl Schema {
    /// The schema of `table`.
    ///
    /// ```
    /// use chainrule::nn::data::{CsvOptions, Schema, Table};
    /// let t = Table::<f32>::from_reader("a,b,y\n1,2,no\n3,4,yes\n".as_bytes(), "t", &CsvOptions::new("y")).unwrap();
    /// let s = Schema::of(&t);
    /// assert_eq!((s.features.clone(), s.classes.clone()), (vec!["a".into(), "b".into()], Some(vec!["no".into(), "yes".into()])));
    /// let mut meta = chainrule::nn::checkpoint::Metadata::new();
    /// s.to_metadata(&mut meta, "data");
    /// assert_eq!(meta["data.features"], r#"["a","b"]"#);
    /// assert_eq!(Schema::from_metadata(&meta, "data").unwrap(), s);
    /// ```
    pub fn of<T: Float>(table: &Table<T>) -> Self {
        Self {
            features: table.feature_names.clone(),
            target: table.target_name.clone(),
            classes: match &table.target {
                Target::Classes { names, .. } => Some(names.clone()),
                Target::Values(_) => None,
            },
        }
    }

    /// Writes `{prefix}.features`, `{prefix}.target` and, for classification,
    /// `{prefix}.classes` (JSON) into a checkpoint's metadata.
    pub fn to_metadata(&self, meta: &mut Metadata, prefix: &str) {
        let json = |v: &[String]| serde_json::to_string(v).expect("strings serialise");
        meta.insert(format!("{prefix}.features"), json(&self.features));
        meta.insert(format!("{prefix}.target"), self.target.clone());
        if let Some(c) = &self.classes {
            meta.insert(format!("{prefix}.classes"), json(c));
        }
    }

    /// Reads what [`Schema::to_metadata`] wrote; errors name the key.
    pub fn from_metadata(meta: &Metadata, prefix: &str) -> Result<Self, SchemaError> {
        let list = |name: &str| -> Result<Option<Vec<String>>, SchemaError> {
            let key = format!("{prefix}.{name}");
            meta.get(&key)
                .map(|text| {
                    serde_json::from_str(text).map_err(|e| SchemaError::Metadata {
                        key,
                        message: format!("not a list of names: {e}"),
                    })
                })
                .transpose()
        };
        let missing = |name: &str| SchemaError::Metadata {
            key: format!("{prefix}.{name}"),
            message: "missing".into(),
        };
        Ok(Self {
            features: list("features")?.ok_or_else(|| missing("features"))?,
            target: meta
                .get(&format!("{prefix}.target"))
                .cloned()
                .ok_or_else(|| missing("target"))?,
            classes: list("classes")?,
        })
    }

    /// Checks that `table` has exactly the model's feature columns in the model's order; the
    /// error names the missing and the extra columns.
    ///
    /// ```
    /// use chainrule::nn::data::{CsvOptions, Schema, Table};
    /// let read = |csv: &str| Table::<f32>::from_reader(csv.as_bytes(), "t", &CsvOptions::new("y")).unwrap();
    /// let s = Schema::of(&read("a,b,y\n1,2,0\n3,4,1\n"));
    /// let e = s.check(&read("a,c,y\n1,2,0\n3,4,1\n")).unwrap_err();
    /// assert_eq!(e.to_string(), r#"the model was trained on columns ["a", "b"]; missing: ["b"], extra: ["c"]"#);
    /// ```
    pub fn check<T: Float>(&self, table: &Table<T>) -> Result<(), SchemaError> {
        if table.feature_names == self.features {
            return Ok(());
        }
        let not_in = |a: &[String], b: &[String]| a.iter().filter(|n| !b.contains(n)).cloned().collect();
        Err(SchemaError::Columns {
            expected: self.features.clone(),
            missing: not_in(&self.features, &table.feature_names),
            extra: not_in(&table.feature_names, &self.features),
        })
    }
}
