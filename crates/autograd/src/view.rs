//! The graph behind a value as plain data (nodes with their label lines, edges with the
//! operand position where it matters), for DOT export and for drawings made elsewhere.

use crate::backward::sweep;
use crate::dtype::Float;
use crate::error::Result;
use crate::tensor::Tensor;
use crate::var::Var;
use std::fmt::Write;

/// What a node of a [`GraphView`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A leaf that requires a gradient (an input or parameter).
    Variable,
    /// A value that requires no gradient (a constant).
    Constant,
    /// The result of an op.
    Op,
}

/// One node: its tape index and the lines of its label (`name = op args`, then the shape for
/// tensors, `value ...` for scalars and `grad ...` when gradients were asked for).
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    /// The node's index on the tape.
    pub index: usize,
    /// The label, one entry per line.
    pub lines: Vec<String>,
    /// What the node is.
    pub kind: NodeKind,
}

/// One edge, from an input to the op that uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphEdge {
    /// The input's position in [`GraphView::nodes`].
    pub from: usize,
    /// The op's position in [`GraphView::nodes`].
    pub to: usize,
    /// The operand position (`1`, `2`, ...) where the op's inputs are ordered (`sub`, `div`,
    /// `pow`, `matmul`, ...); `None` where order does not matter.
    pub operand: Option<usize>,
}

/// The graph that computes a value: its nodes in tape order (every input before its users),
/// and its edges.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphView {
    /// The nodes the value depends on, itself last.
    pub nodes: Vec<GraphNode>,
    /// Every input of every node, in each node's operand order.
    pub edges: Vec<GraphEdge>,
}

impl<'t, T: Float> Var<'t, T> {
    /// The graph that computes this value, as data: every node it depends on with its op,
    /// shape and (for scalars) value.
    ///
    /// ```
    /// use chainrule::{NodeKind, Tape};
    ///
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0).named("x");
    /// let view = (t.scalar(2.0) - x).graph_view();
    /// assert_eq!(view.nodes.len(), 3);
    /// assert_eq!(view.nodes[0].lines, ["x", "value 3"]);
    /// assert_eq!(view.nodes[0].kind, NodeKind::Variable);
    /// // `2 - x`: the constant is operand 1, x operand 2.
    /// let ops: Vec<_> = view.edges.iter().map(|e| (e.from, e.to, e.operand)).collect();
    /// assert_eq!(ops, [(1, 2, Some(1)), (0, 2, Some(2))]);
    /// ```
    pub fn graph_view(self) -> GraphView {
        self.build_view(None)
    }

    /// [`graph_view`](Self::graph_view) with every node's gradient `d self / d node` as the
    /// last line of its label (this value must be a scalar).
    ///
    /// ```
    /// use chainrule::Tape;
    ///
    /// let t = Tape::<f64>::new();
    /// let x = t.scalar_var(3.0).named("x");
    /// let view = (x * x).graph_view_with_gradients().unwrap();
    /// assert_eq!(view.nodes[0].lines, ["x", "value 3", "grad 6"]);
    /// assert_eq!(view.nodes[1].lines, ["mul", "value 9", "grad 1"]);
    /// ```
    pub fn graph_view_with_gradients(self) -> Result<GraphView> {
        self.view_with_gradients("graph_view_with_gradients")
    }

    /// The view with gradients, an error naming `op` unless this value is a scalar.
    pub(crate) fn view_with_gradients(self, op: &'static str) -> Result<GraphView> {
        let shape = self.shape();
        if self.numel() != 1 {
            return Err(crate::Error::NotScalar { op, shape });
        }
        let seed = self.tape().constant(Tensor::ones(&shape));
        let grads = sweep(self, seed, None, false);
        Ok(self.build_view(Some(&grads)))
    }

    fn build_view(self, grads: Option<&[Option<crate::backward::Ct<T>>]>) -> GraphView {
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
        // Tape index -> position in `nodes`.
        let mut position = vec![usize::MAX; root + 1];
        let mut nodes = Vec::new();
        for i in (0..=root).filter(|&i| reach[i]) {
            position[i] = nodes.len();
            let v = Var::new(tape, i as u32);
            let op = v.op();
            let mut first = match v.name() {
                Some(n) => n,
                None if v.is_leaf() && v.requires_grad() => "var".into(),
                None if v.is_leaf() && op == crate::Op::Leaf => "const".into(),
                None => op.name().into(),
            };
            if v.name().is_some() && !v.is_leaf() {
                let _ = write!(first, " = {}", op.name());
            }
            if let Some(a) = op.args(&tape.borrow().consts) {
                let _ = write!(first, " {a}");
            }
            let mut lines = vec![first];
            let shape = v.shape();
            if !shape.is_empty() {
                lines.push(format!("shape {:?}", shape.as_slice()));
            }
            if v.numel() == 1 {
                lines.push(format!("value {}", fmt_num(v.item())));
            }
            if let Some(grads) = grads.filter(|g| g.get(i).copied().flatten().is_some()) {
                let gv = crate::backward::ct_tensor(&tape.borrow(), grads, i as u32);
                if gv.numel() == 1 {
                    lines.push(format!("grad {}", fmt_num(gv.as_slice()[0])));
                } else {
                    lines.push(format!("grad {}", gv.to_string().replace('\n', " ")));
                }
            }
            let kind = if v.requires_grad() && v.is_leaf() {
                NodeKind::Variable
            } else if !v.requires_grad() {
                NodeKind::Constant
            } else {
                NodeKind::Op
            };
            nodes.push(GraphNode {
                index: i,
                lines,
                kind,
            });
        }
        let g = tape.borrow();
        let mut edges = Vec::new();
        for i in (0..=root).filter(|&i| reach[i]) {
            let inputs = g.inputs(i as u32);
            let ordered = inputs.len() > 1 && Var::new(tape, i as u32).op().operands_ordered();
            for (k, &j) in inputs.iter().enumerate() {
                edges.push(GraphEdge {
                    from: position[j as usize],
                    to: position[i],
                    operand: ordered.then_some(k + 1),
                });
            }
        }
        GraphView { nodes, edges }
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
