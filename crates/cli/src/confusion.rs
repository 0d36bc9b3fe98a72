//! The confusion matrix of `chainrule eval`, kept sparse and shown within a bound: memory and
//! output grow with the test set and the number of classes, never with their product.
//!
//! Up to [`MAX_TABLE_CLASSES`] classes the full table is printed; beyond, a summary: the
//! [`SUMMARY_ROWS`] classes with the lowest recall (with their precision) and the
//! [`SUMMARY_ROWS`] most frequent confusions.

use nn::metrics::Confusion;
use std::fmt::Write as _;

/// The most classes whose full confusion table is printed (a 20 x 20 table fits a terminal).
pub const MAX_TABLE_CLASSES: usize = 20;

/// The rows of each part of the summary printed for more classes.
pub const SUMMARY_ROWS: usize = 10;

/// The confusion matrix of `classes` classes as `eval` prints it, with the class names if
/// given (a CSV model's labels) or the class indices.
pub struct Render<'a> {
    counts: &'a Confusion,
    names: Vec<String>,
    /// Examples of each true class.
    support: Vec<usize>,
    /// Predictions of each class.
    predicted: Vec<usize>,
}

impl<'a> Render<'a> {
    /// A view of `counts` over `classes` classes (at least those the counts hold).
    pub fn new(counts: &'a Confusion, classes: usize, names: Option<&[String]>) -> Self {
        let n = classes.max(counts.classes());
        let (mut support, mut predicted) = (vec![0; n], vec![0; n]);
        for ((t, p), c) in counts.iter() {
            support[t] += c;
            predicted[p] += c;
        }
        let names = (0..n)
            .map(|i| {
                names
                    .and_then(|v| v.get(i))
                    .cloned()
                    .unwrap_or_else(|| i.to_string())
            })
            .collect();
        Self {
            counts,
            names,
            support,
            predicted,
        }
    }

    fn get(&self, truth: usize, pred: usize) -> usize {
        self.counts.get(truth, pred)
    }

    /// The table, or the summary beyond [`MAX_TABLE_CLASSES`] classes.
    pub fn render(&self) -> String {
        if self.support.len() <= MAX_TABLE_CLASSES {
            self.table()
        } else {
            self.summary()
        }
    }

    /// Rows are true classes, columns predicted ones, with each class's recall.
    fn table(&self) -> String {
        let n = self.support.len();
        let width = self
            .counts
            .iter()
            .map(|(_, c)| c.to_string().len())
            .chain(self.names.iter().map(|s| s.chars().count()))
            .max()
            .unwrap_or(1)
            .max(3);
        let first = self
            .names
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .max(9)
            + 1;
        let mut out = String::from("confusion matrix (rows: true class, columns: predicted class)\n");
        let _ = write!(out, "{:>first$}", "true\\pred");
        for j in 0..n {
            let _ = write!(out, " {:>width$}", self.names[j]);
        }
        out.push_str("   recall\n");
        for i in 0..n {
            let _ = write!(out, "{:>first$}", self.names[i]);
            for j in 0..n {
                let _ = write!(out, " {:>width$}", self.get(i, j));
            }
            let _ = writeln!(out, "  {}", percent(self.get(i, i), self.support[i]));
        }
        out.pop();
        out
    }

    fn summary(&self) -> String {
        let n = self.support.len();
        let mut out = format!(
            "confusion matrix: {n} classes, too many to print (the full table is printed up to \
             {MAX_TABLE_CLASSES} classes)\n"
        );
        // Classes that occur, lowest recall first (ties: more examples first, then by class).
        let mut classes: Vec<usize> = (0..n).filter(|&c| self.support[c] > 0).collect();
        let recall = |c: usize| self.get(c, c) as f64 / self.support[c] as f64;
        classes.sort_by(|&a, &b| {
            recall(a)
                .total_cmp(&recall(b))
                .then(self.support[b].cmp(&self.support[a]))
                .then(a.cmp(&b))
        });
        let _ = writeln!(
            out,
            "lowest recall ({} of the {} classes in the test set):",
            classes.len().min(SUMMARY_ROWS),
            classes.len()
        );
        let _ = writeln!(
            out,
            "{:>10} {:>9} {:>9} {:>8} {:>10}",
            "class", "examples", "correct", "recall", "precision"
        );
        for &c in classes.iter().take(SUMMARY_ROWS) {
            let hit = self.get(c, c);
            let _ = writeln!(
                out,
                "{:>10} {:>9} {hit:>9} {:>8} {:>10}",
                self.names[c],
                self.support[c],
                percent(hit, self.support[c]),
                percent(hit, self.predicted[c])
            );
        }
        let mut wrong: Vec<((usize, usize), usize)> =
            self.counts.iter().filter(|((t, p), _)| t != p).collect();
        wrong.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let _ = writeln!(
            out,
            "most frequent confusions ({} of {}):",
            wrong.len().min(SUMMARY_ROWS),
            wrong.len()
        );
        for ((t, p), c) in wrong.into_iter().take(SUMMARY_ROWS) {
            let _ = writeln!(
                out,
                "{:>10} -> {:<10} {c:>9} examples",
                self.names[t], self.names[p]
            );
        }
        out.pop();
        out
    }
}

/// `part / whole` as a percentage with one decimal, or `-` for an empty whole.
fn percent(part: usize, whole: usize) -> String {
    if whole > 0 {
        format!("{:6.1}%", 100.0 * part as f64 / whole as f64)
    } else {
        "     -".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_matrix_is_a_table() {
        let mut c = Confusion::default();
        for (t, p) in [(0, 0), (0, 0), (1, 2), (1, 1), (2, 2)] {
            c.add(t, p);
        }
        assert_eq!(c.correct(), 4);
        assert_eq!(
            Render::new(&c, 3, None).render(),
            "confusion matrix (rows: true class, columns: predicted class)\n \
             true\\pred   0   1   2   recall\n         \
             0   2   0   0   100.0%\n         \
             1   0   1   1    50.0%\n         \
             2   0   0   1   100.0%"
        );
    }

    #[test]
    fn a_big_matrix_is_summarised_within_a_bound() {
        // 30,000 classes, one example each, every third one wrong: the output has at most
        // 2 + 1 + SUMMARY_ROWS + 1 + SUMMARY_ROWS lines whatever the class count.
        for classes in [MAX_TABLE_CLASSES + 1, 1000, 30_000] {
            let mut c = Confusion::default();
            for k in 0..classes {
                c.add(k, if k % 3 == 0 { (k + 1) % classes } else { k });
            }
            let text = Render::new(&c, classes, None).render();
            assert!(text.lines().count() <= 4 + 2 * SUMMARY_ROWS, "{text}");
            assert!(text.starts_with(&format!("confusion matrix: {classes} classes, too many")));
            // The worst classes are the misclassified ones: recall 0%.
            let first = text.lines().nth(3).unwrap();
            assert!(
                first.trim_start().starts_with("0 ") && first.contains("0.0%"),
                "{first}"
            );
            assert!(text.contains("most frequent confusions"));
            assert!(text.contains("         0 -> 1"), "{text}");
        }
    }

    #[test]
    fn class_names_label_the_table() {
        let c = Confusion::new(&[0, 1, 1], &[0, 1, 0]).unwrap();
        let names = ["benign".to_string(), "malignant".to_string()];
        assert_eq!(
            Render::new(&c, 2, Some(&names)).render(),
            "confusion matrix (rows: true class, columns: predicted class)\n \
             true\\pred    benign malignant   recall\n    \
             benign         1         0   100.0%\n \
             malignant         1         1    50.0%"
        );
    }
}
