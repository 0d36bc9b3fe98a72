//! A model summary as torchinfo prints one: a row per module with its output shape, its
//! parameter count and whether they train, then the totals.

use super::Sequential;
use crate::param::ParamStore;
use autograd::{Float, Tape, Tensor};
use std::fmt;

/// One module's row of a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryRow {
    /// The module's position.
    pub index: usize,
    /// Its type name (`Linear`).
    pub kind: String,
    /// Its output shape for one example, batch axis first (`[1, 16]`; printed `[N, 16]`).
    pub output_shape: Vec<usize>,
    /// The number of scalar parameters (buffers excluded).
    pub params: usize,
    /// How many of them are frozen.
    pub frozen: usize,
}

/// A model's summary for a given input width: build it with [`Sequential::summary`] and print
/// it with `{}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The input width.
    pub input_width: usize,
    /// One row per module.
    pub rows: Vec<SummaryRow>,
    /// Scalars held in buffers (running statistics), which are not parameters.
    pub buffers: usize,
}

impl<T: Float> Sequential<T> {
    /// The model's summary for inputs `[N, input_width]`: each module's output shape (found
    /// by running the model in evaluation mode on one example of zeros on a scratch tape),
    /// parameter count and frozen count.
    ///
    /// # Panics
    /// Where the model's `forward` panics on such an input (a width the first layer does not
    /// take).
    ///
    /// ```
    /// use chainrule::nn::{ParamStore, Sequential};
    /// let mut ps = ParamStore::<f64>::new();
    /// let model = Sequential::builder(&mut ps, 0).linear(4, 3).relu().build().unwrap();
    /// ps.set_frozen("0.bias", true).unwrap();
    /// let s = model.summary(&ps, 4);
    /// assert_eq!((s.rows[0].params, s.rows[0].frozen), (15, 3));
    /// assert_eq!(s.rows[1].output_shape, vec![1, 3]);
    /// assert!(s.to_string().contains("\n0 (Linear)    [N, 3]            15  partly\n"));
    /// ```
    pub fn summary(&self, ps: &ParamStore<T>, input_width: usize) -> Summary {
        let tape = Tape::new();
        let bound = ps.bind_eval(&tape);
        let mut x = tape.constant(Tensor::<T>::zeros(&[1, input_width]));
        let rows = self
            .modules
            .iter()
            .enumerate()
            .map(|(index, m)| {
                x = m.forward(&bound, x);
                let ids = m.parameters();
                let count = |frozen_only: bool| {
                    ids.iter()
                        .map(|&id| ps.get(id))
                        .filter(|p| !p.is_buffer() && (!frozen_only || p.frozen()))
                        .map(|p| p.value().numel())
                        .sum()
                };
                SummaryRow {
                    index,
                    kind: m.spec().kind().to_string(),
                    output_shape: x.shape().to_vec(),
                    params: count(false),
                    frozen: count(true),
                }
            })
            .collect();
        Summary {
            input_width,
            rows,
            buffers: ps.num_buffers(),
        }
    }
}

fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = shape
        .iter()
        .enumerate()
        .map(|(i, d)| if i == 0 { "N".to_string() } else { d.to_string() })
        .collect();
    format!("[{}]", dims.join(", "))
}

/// With thousands separators, as torchinfo prints counts.
fn count_text(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cells: Vec<[String; 4]> = self
            .rows
            .iter()
            .map(|r| {
                let trainable = match (r.params, r.frozen) {
                    (0, _) => "-",
                    (p, f) if f == p => "frozen",
                    (_, 0) => "yes",
                    _ => "partly",
                };
                [
                    format!("{} ({})", r.index, r.kind),
                    shape_text(&r.output_shape),
                    count_text(r.params),
                    trainable.to_string(),
                ]
            })
            .collect();
        let head = ["Layer (type)", "Output shape", "Params", "Trainable"];
        let mut w = head.map(str::len);
        for row in &cells {
            for (wi, c) in w.iter_mut().zip(row) {
                *wi = (*wi).max(c.len());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, c: [&str; 4]| {
            writeln!(
                f,
                "{:<a$}  {:<b$}  {:>c$}  {}",
                c[0],
                c[1],
                c[2],
                c[3],
                a = w[0],
                b = w[1],
                c = w[2]
            )
        };
        let rule = "-".repeat(w.iter().sum::<usize>() + 6);
        writeln!(f, "Input: [N, {}]", self.input_width)?;
        line(f, head)?;
        writeln!(f, "{rule}")?;
        for row in &cells {
            line(f, [&row[0], &row[1], &row[2], &row[3]])?;
        }
        writeln!(f, "{rule}")?;
        let total: usize = self.rows.iter().map(|r| r.params).sum();
        let frozen: usize = self.rows.iter().map(|r| r.frozen).sum();
        writeln!(f, "Total params: {}", count_text(total))?;
        writeln!(f, "Trainable params: {}", count_text(total - frozen))?;
        writeln!(f, "Frozen params: {}", count_text(frozen))?;
        write!(
            f,
            "Buffers: {} values (running statistics, not trained)",
            count_text(self.buffers)
        )
    }
}
