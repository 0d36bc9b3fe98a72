//! Graphviz DOT export of the graph behind a value: op, shape, scalar values and gradients.

use crate::backward::sweep;
use crate::dtype::Float;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::var::Var;
use std::fmt::Write;

impl<'t, T: Float> Var<'t, T> {
    /// Gives this value a name, shown in DOT graphs (and returns the same handle).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0).named("x");
    /// assert_eq!(x.name().as_deref(), Some("x"));
    /// ```
    pub fn named(self, name: &str) -> Self {
        self.tape()
            .inner
            .borrow_mut()
            .names
            .insert(self.idx(), name.to_string());
        self
    }

    /// The name given with [`named`](Self::named), if any.
    pub fn name(&self) -> Option<String> {
        self.tape().borrow().names.get(&self.idx()).cloned()
    }

    /// The graph that computes this value, in Graphviz DOT (`dot -Tsvg`): one box per node with
    /// its op, shape and (for scalars) value; arrows from inputs to results.
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(1.0).named("x");
    /// let dot = (x * 2.0).sigmoid().to_dot();
    /// assert!(dot.starts_with("digraph"));
    /// assert!(dot.contains("sigmoid") && dot.contains("mul_scalar") && dot.contains("\"x\\n"));
    /// ```
    pub fn to_dot(self) -> String {
        self.render_dot(None)
    }

    /// [`to_dot`](Self::to_dot) with every node's gradient `d self / d node` (this value must
    /// be a scalar).
    ///
    /// ```
    /// # use chainrule::Tape;
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0).named("x");
    /// let dot = (x * x).to_dot_with_gradients().unwrap();
    /// assert!(dot.contains("grad 6"));
    /// ```
    pub fn to_dot_with_gradients(self) -> Result<String> {
        let shape = self.shape();
        if self.numel() != 1 {
            return Err(crate::Error::NotScalar {
                op: "to_dot_with_gradients",
                shape,
            });
        }
        let seed = self.tape().constant(Tensor::ones(&shape));
        let grads = sweep(self, seed, None, false);
        Ok(self.render_dot(Some(&grads)))
    }

    fn render_dot(self, grads: Option<&[Option<crate::backward::Ct<T>>]>) -> String {
        let tape = self.tape();
        let root = self.idx() as usize;
        // Mark what the root depends on: one reverse pass, no recursion.
        let mut reach = vec![false; root + 1];
        reach[root] = true;
        {
            let g = tape.borrow();
            for i in (0..=root).rev() {
                if reach[i] {
                    for &j in g.inputs(i as u32) {
                        reach[j as usize] = true;
                    }
                }
            }
        }
        let mut out =
            String::from("digraph chainrule {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
        for i in (0..=root).filter(|&i| reach[i]) {
            let v = Var::new(tape, i as u32);
            let op = v.op();
            let mut label = match v.name() {
                Some(n) => n,
                None if v.is_leaf() && v.requires_grad() => "var".into(),
                None if v.is_leaf() && op == crate::Op::Leaf => "const".into(),
                None => op.name().into(),
            };
            if v.name().is_some() && !v.is_leaf() {
                let _ = write!(label, " = {}", op.name());
            }
            if let Some(a) = op.args(&tape.borrow().consts) {
                let _ = write!(label, " {a}");
            }
            let shape = v.shape();
            if !shape.is_empty() {
                let _ = write!(label, "\\nshape {:?}", shape.as_slice());
            }
            if v.numel() == 1 {
                let _ = write!(label, "\\nvalue {}", fmt_num(v.item()));
            }
            if let Some(grads) = grads.filter(|g| g.get(i).copied().flatten().is_some()) {
                let gv = crate::backward::ct_tensor(&tape.borrow(), grads, i as u32);
                if gv.numel() == 1 {
                    let _ = write!(label, "\\ngrad {}", fmt_num(gv.as_slice()[0]));
                } else {
                    let _ = write!(label, "\\ngrad {}", gv.to_string().replace('\n', " "));
                }
            }
            let style = if v.requires_grad() && v.is_leaf() {
                ", style=filled, fillcolor=\"#dbeafe\""
            } else if !v.requires_grad() {
                ", color=\"#9ca3af\""
            } else {
                ""
            };
            let _ = writeln!(out, "  n{i} [label=\"{}\"{style}];", label.replace('"', "\\\""));
        }
        let g = tape.borrow();
        for i in (0..=root).filter(|&i| reach[i]) {
            for &j in g.inputs(i as u32) {
                let _ = writeln!(out, "  n{j} -> n{i};");
            }
        }
        out.push_str("}\n");
        out
    }
}

fn fmt_num<T: Float>(x: T) -> String {
    let x = x.as_f64();
    // Shortest exact form when it is short (0.5, 2, -0.25), else six decimals.
    let exact = format!("{x}");
    if exact.len() <= 8 {
        exact
    } else {
        format!("{x:.6}")
    }
}
