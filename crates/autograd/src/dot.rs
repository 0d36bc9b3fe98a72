//! Graphviz DOT export of the graph behind a value: op, shape, scalar values and gradients.

use crate::dtype::Float;
use crate::error::Result;
use crate::var::Var;
use crate::view::{GraphView, NodeKind};
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
        render_dot(&self.graph_view())
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
        Ok(render_dot(&self.view_with_gradients("to_dot_with_gradients")?))
    }
}

fn render_dot(view: &GraphView) -> String {
    let mut out =
        String::from("digraph chainrule {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
    for node in &view.nodes {
        let style = match node.kind {
            NodeKind::Variable => ", style=filled, fillcolor=\"#dbeafe\"",
            NodeKind::Constant => ", color=\"#9ca3af\"",
            NodeKind::Op => "",
        };
        let label = node.lines.join("\\n").replace('"', "\\\"");
        let _ = writeln!(out, "  n{} [label=\"{label}\"{style}];", node.index);
    }
    for e in &view.edges {
        let (from, to) = (view.nodes[e.from].index, view.nodes[e.to].index);
        match e.operand {
            Some(k) => {
                let _ = writeln!(out, "  n{from} -> n{to} [label=\"{k}\"];");
            }
            None => {
                let _ = writeln!(out, "  n{from} -> n{to};");
            }
        }
    }
    out.push_str("}\n");
    out
}
