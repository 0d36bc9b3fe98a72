//! `chainrule trace`: backprop with the work shown. For each parameter, every path from the
//! loss down to it, the local derivative at each step (from the engine's own rule for that
//! op), the product along each path, and the sum over paths, which equals the engine's
//! gradient. Then one SGD step and the forward pass with the new values.

use crate::expr::ParseError;
use crate::system::{OutputError, System};
use crate::verdict::{fmt, plural};
use autograd::{Tape, Var};
use std::collections::HashMap;

/// At most this many paths are listed per parameter (their sum is still exact: the engine's).
pub const MAX_PATHS: usize = 64;

/// At most this many steps are listed per parameter, over all its listed paths: a chain of
/// 10,000 definitions has paths of 10,000 steps, and listing 64 of them would print megabytes.
/// The paths not listed are still counted and summed.
pub const MAX_LISTED_STEPS: usize = 4096;

/// The note's network: sigmoid hidden neuron, relu output neuron, loss 1/2 (y - label)^2.
pub const NOTE_NETWORK: &str =
    "a11 = sigmoid(x1*w11 + b1); a21 = relu(a11*w21 + b2); y = a21; J = 1/2*(y - label)^2";

/// The note's values: `(name, value)`; `w11, w21, b1, b2` are the parameters.
pub const NOTE_VALUES: [(&str, f64); 6] = [
    ("w11", 0.5),
    ("w21", 1.0),
    ("b1", 0.5),
    ("b2", 1.0),
    ("x1", 1.0),
    ("label", 2.0),
];

/// The note's parameters.
pub const NOTE_PARAMS: [&str; 4] = ["w11", "w21", "b1", "b2"];

/// One step of a path: from a value down to one of its inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The upper value (named, or `op#index`).
    pub from: String,
    /// The lower value.
    pub to: String,
    /// `d from / d to`, by the op's derivative rule (a product over unnamed intermediate ops).
    pub local: f64,
}

/// One path from the loss to a parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// Steps from the loss downwards, between named values.
    pub steps: Vec<Step>,
    /// The product of the local derivatives.
    pub product: f64,
}

/// All paths to one parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamTrace {
    /// The parameter.
    pub name: String,
    /// Its value.
    pub value: f64,
    /// The first paths (at most [`MAX_PATHS`], with at most [`MAX_LISTED_STEPS`] steps in all).
    pub paths: Vec<Path>,
    /// The number of paths in all (`usize::MAX` when there are at least that many: 10,000
    /// definitions `a_i = a_(i-1) + a_(i-1)` have 2^10000).
    pub path_count: usize,
    /// The sum of the products over all paths.
    pub sum: f64,
    /// The engine's gradient (reverse sweep).
    pub engine: f64,
}

/// The whole trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceReport {
    /// The loss's name and value.
    pub loss: (String, f64),
    /// Every defined value of the forward pass.
    pub forward: Vec<(String, f64)>,
    /// One entry per parameter.
    pub params: Vec<ParamTrace>,
    /// The learning rate of the SGD step.
    pub lr: f64,
    /// `(name, old, new)` after one SGD step.
    pub update: Vec<(String, f64, f64)>,
    /// Every defined value after the step.
    pub second_forward: Vec<(String, f64)>,
}

/// Why a trace could not run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TraceError {
    /// The system has an error.
    #[error("in the definitions, {0}")]
    System(ParseError),
    /// Options that do not fit the system.
    #[error("{0}")]
    Usage(String),
    /// No loss was named and the system has no single output, or the one named is not defined.
    #[error(transparent)]
    Output(#[from] OutputError),
}

fn label(v: &Var<'_, f64>) -> String {
    v.name()
        .unwrap_or_else(|| format!("{}#{}", v.op_name(), v.index()))
}

/// Traces `d loss / d param` for each parameter of `system` at `values` (which must give every
/// input), then takes one SGD step with learning rate `lr` and runs the forward pass again.
pub fn trace(
    system: &System,
    loss: Option<&str>,
    params: &[String],
    values: &[(String, f64)],
    lr: f64,
) -> Result<TraceReport, TraceError> {
    // A cycle first: with one, no name is an input and any other message would mislead.
    system.order().map_err(TraceError::System)?;
    let loss = system.output_or(loss)?;
    let inputs = system.inputs();
    for p in params {
        if !inputs.contains(p) {
            return Err(TraceError::Usage(format!(
                "'{p}' is not an input of the definitions (inputs: {})",
                inputs.join(", ")
            )));
        }
    }
    for i in &inputs {
        if !values.iter().any(|(n, _)| n == i) {
            return Err(TraceError::Usage(format!(
                "no value for the input '{i}' (give it with --set {i}=...)"
            )));
        }
    }
    let (forward, loss_value, traces) = run(system, &loss, params, values)?;
    let update: Vec<(String, f64, f64)> = traces
        .iter()
        .map(|t| (t.name.clone(), t.value, t.value - lr * t.engine))
        .collect();
    let new_values: Vec<(String, f64)> = values
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                update.iter().find(|(u, _, _)| u == n).map_or(*v, |u| u.2),
            )
        })
        .collect();
    let (second_forward, _, _) = run(system, &loss, &[], &new_values)?;
    Ok(TraceReport {
        loss: (loss, loss_value),
        forward,
        params: traces,
        lr,
        update,
        second_forward,
    })
}

type Forward = Vec<(String, f64)>;

fn run(
    system: &System,
    loss: &str,
    params: &[String],
    values: &[(String, f64)],
) -> Result<(Forward, f64, Vec<ParamTrace>), TraceError> {
    let tape = Tape::<f64>::new();
    let vars: HashMap<String, Var<'_, f64>> = values
        .iter()
        .map(|(n, v)| {
            let var = if params.contains(n) {
                tape.scalar_var(*v)
            } else {
                tape.scalar(*v)
            };
            (n.clone(), var.named(n))
        })
        .collect();
    let env = system.build(&tape, &vars).map_err(TraceError::System)?;
    let forward: Vec<(String, f64)> = env.iter().map(|(n, v)| (n.clone(), v.item())).collect();
    let root = env[loss];
    let grads = if params.is_empty() {
        None
    } else {
        Some(root.backward())
    };
    let mut traces = Vec::new();
    for p in params {
        let x = vars[p];
        let engine = grads.as_ref().map_or(0.0, |g| g[x].item());
        let (paths, path_count, sum) = paths_to(root, x);
        traces.push(ParamTrace {
            name: p.clone(),
            value: x.item(),
            paths,
            path_count,
            sum,
            engine,
        });
    }
    Ok((forward, root.item(), traces))
}

/// A raw step of a path: (upper value, lower value, local derivative).
type RawStep<'t> = (Var<'t, f64>, Var<'t, f64>, f64);

/// Every path from `root` down to `target`, by an explicit-stack depth-first walk over the
/// recorded inputs; the sum over all paths of the products of local derivatives.
fn paths_to<'t>(root: Var<'t, f64>, target: Var<'t, f64>) -> (Vec<Path>, usize, f64) {
    // Which nodes lie above the target: one pass in index order (inputs come first).
    let mut nodes: Vec<Var<'t, f64>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        if seen.insert(v.index()) {
            nodes.push(v);
            stack.extend(v.inputs());
        }
    }
    nodes.sort_by_key(|v| v.index());
    let mut reaches: HashMap<usize, bool> = HashMap::new();
    for v in &nodes {
        let r = v.index() == target.index()
            || v.inputs()
                .iter()
                .any(|i| reaches.get(&i.index()).copied().unwrap_or(false));
        reaches.insert(v.index(), r);
    }
    let local: HashMap<usize, Vec<(Var<'t, f64>, f64)>> = nodes
        .iter()
        .filter(|v| reaches[&v.index()])
        .map(|v| {
            (
                v.index(),
                v.local_derivatives()
                    .into_iter()
                    .map(|(i, d)| (i, d.item()))
                    .collect(),
            )
        })
        .collect();
    // The number of paths from each node down to the target and the sum of their products,
    // node by node in index order (inputs first): counting them one by one would take
    // exponential time when values are reused (a2 = a1 + a1; a3 = a2 + a2; ...).
    let mut below: HashMap<usize, (usize, f64)> = HashMap::new();
    for v in nodes.iter().filter(|v| reaches[&v.index()]) {
        let mut entry = (0usize, 0.0);
        if v.index() == target.index() {
            entry = (1, 1.0);
        } else {
            for (input, d) in local.get(&v.index()).into_iter().flatten() {
                if let Some(&(c, s)) = below.get(&input.index()) {
                    entry = (entry.0.saturating_add(c), entry.1 + d * s);
                }
            }
        }
        below.insert(v.index(), entry);
    }
    let (count, sum) = below.get(&root.index()).copied().unwrap_or((0, 0.0));
    // Depth-first, listing the first paths: one shared path, cut back to its depth whenever
    // the walk backtracks, so memory is the depth plus the branches waiting (never a copy of
    // the path per waiting branch). Listing stops at MAX_PATHS paths or MAX_LISTED_STEPS steps.
    let mut out = Vec::new();
    let mut listed_steps = 0usize;
    let mut path: Vec<RawStep<'t>> = Vec::new();
    // (the node reached, the step that reached it, the path's length before that step)
    let mut work: Vec<(Var<'t, f64>, Option<RawStep<'t>>, usize)> = vec![(root, None, 0)];
    while let Some((v, step, depth)) = work.pop() {
        path.truncate(depth);
        path.extend(step);
        if v.index() == target.index() {
            let steps = group(&path);
            if out.len() == MAX_PATHS || listed_steps + steps.len() > MAX_LISTED_STEPS {
                break;
            }
            listed_steps += steps.len();
            out.push(Path {
                steps,
                product: path.iter().map(|s| s.2).product(),
            });
            continue;
        }
        for (input, d) in local.get(&v.index()).into_iter().flatten().rev() {
            if reaches.get(&input.index()).copied().unwrap_or(false) {
                work.push((*input, Some((v, *input, *d)), path.len()));
            }
        }
    }
    (out, count, sum)
}

/// Merges steps through unnamed intermediate ops, so a path reads from named value to named
/// value (`dJ/dy * dy/da21 * da21/dw21`), each factor the product of the merged steps.
fn group(steps: &[RawStep<'_>]) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut from: Option<String> = None;
    let mut acc = 1.0;
    for (upper, lower, d) in steps {
        if from.is_none() {
            from = Some(label(upper));
        }
        acc *= d;
        if lower.name().is_some() {
            out.push(Step {
                from: from.take().unwrap_or_default(),
                to: label(lower),
                local: acc,
            });
            acc = 1.0;
        }
    }
    out
}

impl TraceReport {
    /// The trace as text, in the note's notation.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        s.push_str("Forward pass:\n");
        for (n, v) in &self.forward {
            s.push_str(&format!("  {n} = {}\n", fmt(*v)));
        }
        let (loss, _) = &self.loss;
        for p in &self.params {
            s.push_str(&format!(
                "\nd{loss}/d{} ({}{}):\n",
                p.name,
                if p.path_count == usize::MAX {
                    "at least "
                } else {
                    ""
                },
                plural(p.path_count, "path")
            ));
            for path in &p.paths {
                let names: Vec<String> = path
                    .steps
                    .iter()
                    .map(|st| format!("d{}/d{}", st.from, st.to))
                    .collect();
                let values: Vec<String> = path
                    .steps
                    .iter()
                    .map(|st| format!("({})", fmt(st.local)))
                    .collect();
                s.push_str(&format!(
                    "  {}\n    = {} = {}\n",
                    names.join(" * "),
                    values.join(" * "),
                    fmt(path.product)
                ));
            }
            if p.path_count > p.paths.len() {
                s.push_str(&format!(
                    "  ... and {}{} (listing stops at {MAX_PATHS} paths or {MAX_LISTED_STEPS} steps)\n",
                    if p.path_count == usize::MAX {
                        "at least "
                    } else {
                        ""
                    },
                    plural(p.path_count - p.paths.len(), "more path")
                ));
            }
            // Equal infinities agree too (2^10000 paths of product 1 overflow both sums).
            let agree = p.sum == p.engine || (p.sum - p.engine).abs() <= 1e-12 * (1.0 + p.engine.abs());
            s.push_str(&format!(
                "  sum over paths = {}; engine's gradient = {} ({})\n",
                fmt(p.sum),
                fmt(p.engine),
                if agree { "equal" } else { "DIFFERENT" }
            ));
        }
        if !self.update.is_empty() {
            s.push_str(&format!("\nSGD step, learning rate {}:\n", fmt(self.lr)));
            for ((n, old, new), p) in self.update.iter().zip(&self.params) {
                s.push_str(&format!(
                    "  {n} = {} - {} * ({}) = {}\n",
                    fmt(*old),
                    fmt(self.lr),
                    fmt(p.engine),
                    fmt(*new)
                ));
            }
            s.push_str("\nForward pass with the new values:\n");
            for (n, v) in &self.second_forward {
                s.push_str(&format!("  {n} = {}\n", fmt(*v)));
            }
        }
        s
    }

    /// The trace as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "forward": self.forward.iter().map(|(n, v)| serde_json::json!({"name": n, "value": v})).collect::<Vec<_>>(),
            "loss": {"name": self.loss.0, "value": self.loss.1},
            "params": self.params.iter().map(|p| serde_json::json!({
                "name": p.name,
                "value": p.value,
                "path_count": p.path_count,
                "paths": p.paths.iter().map(|path| serde_json::json!({
                    "steps": path.steps.iter().map(|st| serde_json::json!({"from": st.from, "to": st.to, "local": st.local})).collect::<Vec<_>>(),
                    "product": path.product,
                })).collect::<Vec<_>>(),
                "sum": p.sum,
                "engine": p.engine,
            })).collect::<Vec<_>>(),
            "lr": self.lr,
            "update": self.update.iter().map(|(n, o, v)| serde_json::json!({"name": n, "old": o, "new": v})).collect::<Vec<_>>(),
            "second_forward": self.second_forward.iter().map(|(n, v)| serde_json::json!({"name": n, "value": v})).collect::<Vec<_>>(),
        })
    }
}

/// A generated network: its definitions, the values of its inputs, and its parameters' names.
pub type Network = (String, Vec<(String, f64)>, Vec<String>);

/// The definitions of a fully connected network with scalar weights, for tracing: inputs
/// `x1..xn`, layer `l` unit `j` is `h{l}_{j} = act(sum_i w{l}_{j}_{i} * prev_i + b{l}_{j})`, the
/// last layer is linear unless `output_activation` is given, and the loss is
/// `J = 1/2*(y - label)^2` on the single output `y`. Weights come from a seeded generator.
pub fn layered_network(sizes: &[usize], activation: &str, seed: u64) -> Result<Network, TraceError> {
    if sizes.len() < 2 || sizes.contains(&0) || *sizes.last().unwrap_or(&0) != 1 {
        return Err(TraceError::Usage(
            "--layers needs at least two sizes, none zero, ending in 1 (e.g. 2,2,1)".into(),
        ));
    }
    // Checked: a plain product wraps around (64 sizes of 64 multiply to 0 mod 2^64).
    if sizes
        .iter()
        .try_fold(1usize, |p, &s| p.checked_mul(s))
        .is_none_or(|p| p > 4096)
    {
        return Err(TraceError::Usage(
            "--layers: the network is too big to trace path by path".into(),
        ));
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
    let mut defs = Vec::new();
    let mut values: Vec<(String, f64)> = Vec::new();
    let mut params = Vec::new();
    let mut prev: Vec<String> = (1..=sizes[0]).map(|i| format!("x{i}")).collect();
    for (i, p) in prev.iter().enumerate() {
        values.push((p.clone(), 0.5 + 0.25 * i as f64));
    }
    for l in 1..sizes.len() {
        let last = l == sizes.len() - 1;
        let mut cur = Vec::new();
        for j in 1..=sizes[l] {
            let mut terms = Vec::new();
            for (i, p) in prev.iter().enumerate() {
                let w = format!("w{l}_{j}_{}", i + 1);
                let v: f64 = rand::RngExt::random_range(&mut rng, -1.0..1.0);
                values.push((w.clone(), (v * 100.0).round() / 100.0));
                params.push(w.clone());
                terms.push(format!("{w}*{p}"));
            }
            let b = format!("b{l}_{j}");
            values.push((b.clone(), 0.1));
            params.push(b.clone());
            let name = if last {
                "y".to_string()
            } else {
                format!("h{l}_{j}")
            };
            let sum = format!("{} + {b}", terms.join(" + "));
            defs.push(if last {
                format!("{name} = {sum}")
            } else {
                format!("{name} = {activation}({sum})")
            });
            cur.push(name);
        }
        prev = cur;
    }
    defs.push("J = 1/2*(y - label)^2".into());
    values.push(("label".into(), 1.0));
    Ok((defs.join("; "), values, params))
}
