//! `chainrule graph`: the graph of a system of definitions, with every value and its gradient,
//! as Graphviz DOT or as an SVG drawn here (no Graphviz needed).

use crate::check::CheckError;
use crate::layout::{layered, vertex_count, MARGIN};
use crate::system::System;
use autograd::{GraphView, NodeKind, Tape, Var};
use std::collections::HashMap;
use std::fmt::Write;

/// The most nodes [`svg`] draws: past that a drawing is unreadable anyway (use [`dot`]).
pub const MAX_DRAWN_NODES: usize = 2_000;

/// The most vertices of the layout (nodes, plus one per layer that an edge passes through),
/// which bounds its time and memory.
pub const MAX_LAYOUT_VERTICES: usize = 50_000;

/// Builds the graph of `of` (default: the system's output) at `point`, which must give every
/// input, with every input a variable, and hands it to `render`.
fn render<R>(
    system: &System,
    of: Option<&str>,
    point: &[(String, f64)],
    render: impl FnOnce(Var<'_, f64>) -> Result<R, CheckError>,
) -> Result<R, CheckError> {
    // A cycle first: with one, no name is the output and any other message would mislead.
    system.order().map_err(CheckError::System)?;
    let of = system.output_or(of)?;
    for input in system.inputs() {
        if !point.iter().any(|(n, _)| *n == input) {
            return Err(CheckError::Usage(format!(
                "no value for the input '{input}' (give it with --at {input}=...)"
            )));
        }
    }
    let tape = Tape::<f64>::new();
    let inputs: HashMap<String, Var<'_, f64>> = point
        .iter()
        .map(|(n, v)| (n.clone(), tape.scalar_var(*v).named(n)))
        .collect();
    let env = system.build(&tape, &inputs).map_err(CheckError::System)?;
    render(env[&of])
}

/// DOT for the graph that computes `of` (default: the system's output) at `point`, which must
/// give every input. Inputs are variables, so every node shows `d of / d node`; the edges into
/// `sub`, `div` and `pow` are labelled with their operand position.
///
/// ```
/// use chainrule::verify::{graph, System};
///
/// let s = System::parse("y = sigmoid(0.5*x + 0.5)").unwrap();
/// let dot = graph::dot(&s, None, &[("x".into(), 1.0)]).unwrap();
/// assert!(dot.contains("\"x\\nvalue 1\\ngrad 0.098306\""));
/// let s = System::parse("u = 2 - x").unwrap();
/// let dot = graph::dot(&s, None, &[("x".into(), 1.0)]).unwrap();
/// assert!(dot.contains("n1 -> n2 [label=\"1\"];\n  n0 -> n2 [label=\"2\"];"));
/// ```
pub fn dot(system: &System, of: Option<&str>, point: &[(String, f64)]) -> Result<String, CheckError> {
    render(system, of, point, |v| {
        v.to_dot_with_gradients()
            .map_err(|e| CheckError::Usage(e.to_string()))
    })
}

/// The same graph as [`dot`], drawn as SVG: layered left to right (inputs on the left), one
/// box per node with its name, op, value and gradient, edges into `sub`, `div` and `pow`
/// labelled with their operand position. At most [`MAX_DRAWN_NODES`] nodes.
///
/// ```
/// use chainrule::verify::{graph, System};
///
/// let s = System::parse("u = 2 - x").unwrap();
/// let svg = graph::svg(&s, None, &[("x".into(), 1.0)]).unwrap();
/// assert!(svg.starts_with("<svg "));
/// assert_eq!(svg.matches("<rect class=\"node").count(), 3);
/// assert!(svg.contains(">u = sub</tspan>"));
/// assert!(svg.contains("<text class=\"operand\""));
/// ```
pub fn svg(system: &System, of: Option<&str>, point: &[(String, f64)]) -> Result<String, CheckError> {
    render(system, of, point, |v| {
        let view = v
            .graph_view_with_gradients()
            .map_err(|e| CheckError::Usage(e.to_string()))?;
        draw(&view)
    })
}

/// Font size, line height and the width of a character of the monospace font, in pixels.
const FONT: f64 = 12.0;
const LINE: f64 = 15.0;
const CHAR: f64 = 7.4;
const PAD_X: f64 = 8.0;
const PAD_Y: f64 = 6.0;

fn draw(view: &GraphView) -> Result<String, CheckError> {
    let n = view.nodes.len();
    let edges: Vec<(usize, usize)> = view.edges.iter().map(|e| (e.from, e.to)).collect();
    let vertices = vertex_count(n, &edges);
    if n > MAX_DRAWN_NODES || vertices > MAX_LAYOUT_VERTICES {
        return Err(CheckError::Usage(format!(
            "the graph has {n} nodes ({vertices} with its edges' bends), too many to draw (at most {MAX_DRAWN_NODES} nodes and {MAX_LAYOUT_VERTICES} with bends); use --format dot"
        )));
    }
    let sizes: Vec<(f64, f64)> = view
        .nodes
        .iter()
        .map(|node| {
            let chars = node.lines.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            (
                chars as f64 * CHAR + 2.0 * PAD_X,
                node.lines.len() as f64 * LINE + 2.0 * PAD_Y,
            )
        })
        .collect();
    let layout = layered(&sizes, &edges);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\" font-family=\"monospace\" font-size=\"{FONT}\">",
        w = layout.width.max(2.0 * MARGIN),
        h = layout.height.max(2.0 * MARGIN)
    );
    out.push_str(concat!(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" ",
        "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#374151\"/></marker></defs>\n",
        "<style>.node{stroke:#111827;fill:#ffffff}.variable{fill:#dbeafe}.constant{stroke:#9ca3af}",
        ".edge{fill:none;stroke:#374151;stroke-width:1.2}.operand{font-size:10px;fill:#b91c1c}</style>\n",
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
    ));
    for route in &layout.routes {
        let mut d = format!("M{:.1},{:.1}", route[0].0, route[0].1);
        for w in route.windows(2) {
            // Horizontal tangents at both ends of each piece: smooth, and level at the boxes.
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let mid = (x0 + x1) / 2.0;
            let _ = write!(d, " C{mid:.1},{y0:.1} {mid:.1},{y1:.1} {x1:.1},{y1:.1}");
        }
        let _ = writeln!(out, "<path class=\"edge\" d=\"{d}\" marker-end=\"url(#arrow)\"/>");
    }
    for (e, route) in view.edges.iter().zip(&layout.routes) {
        if let Some(k) = e.operand {
            let (x, y) = route[route.len() - 1];
            let _ = writeln!(
                out,
                "<text class=\"operand\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{k}</text>",
                x - 9.0,
                y - 3.0
            );
        }
    }
    for (node, &(x, y, w, h)) in view.nodes.iter().zip(&layout.boxes) {
        let class = match node.kind {
            NodeKind::Variable => "node variable",
            NodeKind::Constant => "node constant",
            NodeKind::Op => "node",
        };
        let _ = writeln!(
            out,
            "<rect class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"4\"/>"
        );
        let cx = x + w / 2.0;
        let _ = write!(
            out,
            "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">",
            y + PAD_Y - 3.0
        );
        for (i, line) in node.lines.iter().enumerate() {
            let weight = if i == 0 { " font-weight=\"bold\"" } else { "" };
            let _ = write!(
                out,
                "<tspan x=\"{cx:.1}\" dy=\"{LINE}\"{weight}>{}</tspan>",
                escape(line)
            );
        }
        out.push_str("</text>\n");
    }
    out.push_str("</svg>\n");
    Ok(out)
}

/// Text as XML character data.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
