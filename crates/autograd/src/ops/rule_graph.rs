//! The rule column of `docs/ops.md` for the structural families (reductions, movement,
//! indexing, `where`, `matmul`), checked against the code: each op is recorded on named inputs,
//! its rule is recorded by a differentiable sweep with a named cotangent `g`, and the graph the
//! rule recorded is printed as an expression. Concrete arguments of the test (shapes, axes,
//! permutations) are then renamed to the symbols the table uses, and the table's rule cell
//! must contain the result.

use crate::backward::grad_with;
use crate::op::{IndexOp, MovementOp, Op, ReduceOp};
use crate::tape::Inner;
use crate::{Tape, Tensor, Var};

/// The expression that computes node `i`, down to named nodes.
fn expr(g: &Inner<f64>, i: u32) -> String {
    if let Some(name) = g.names.get(&i) {
        return name.clone();
    }
    let node = &g.nodes[i as usize];
    let op = node.op;
    if node.n_in == 0 {
        // A constant zero filler, or a value computed under no_grad (a mask, a detached copy):
        // a constant that keeps its op but not its inputs.
        let start = node.data as usize;
        let n: usize = g.shape(i).iter().product();
        if op == Op::Leaf && g.data[start..start + n].iter().all(|&v| v == 0.0) {
            return "0".into();
        }
        return format!("const {}", op.name());
    }
    let inputs = &g.edges[node.edges as usize..node.edges as usize + node.n_in as usize];
    let mut args: Vec<String> = inputs.iter().map(|&k| expr(g, k)).collect();
    let list = |v: &[usize]| format!("{v:?}");
    match op {
        Op::Reduce(ReduceOp::Sum(axes) | ReduceOp::Max(axes) | ReduceOp::Min(axes)) => {
            let axes: Vec<usize> = (0..64).filter(|a| axes.get() & (1 << a) != 0).collect();
            args.push(list(&axes));
        }
        Op::Movement(m) => match m {
            MovementOp::Reshape | MovementOp::Expand => args.push(list(g.shape(i))),
            MovementOp::Permute { aux } => {
                args.push(list(&g.aux[aux as usize..aux as usize + node.rank as usize]));
            }
            MovementOp::Narrow { axis, start } => {
                let len = g.shape(i)[axis as usize];
                args.extend([axis.to_string(), start.to_string(), len.to_string()]);
            }
            MovementOp::Pad { axis, start } => {
                let full = g.shape(i)[axis as usize];
                args.extend([axis.to_string(), start.to_string(), full.to_string()]);
            }
            MovementOp::Concat { axis } => args.push(axis.to_string()),
        },
        Op::Index(ix) => {
            args.push(ix.axis().to_string());
            args.push("indices".into());
            if matches!(ix, IndexOp::IndexAdd { .. } | IndexOp::ScatterAdd { .. }) {
                args.push(g.shape(i)[ix.axis() as usize].to_string());
            }
        }
        Op::Matmul { ta, tb } => args.extend([ta.to_string(), tb.to_string()]),
        _ => {}
    }
    format!("{}({})", op.name(), args.join(", "))
}

/// Records `op` on named inputs and prints the rule's gradient for each input, after renaming
/// the concrete strings of `symbols` (longest first, so `[2, 3, 4]` goes before `2`).
fn rules(
    inputs: &[(&str, Tensor<f64>)],
    op: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
    symbols: &[(&str, &str)],
) -> Vec<String> {
    let tape = Tape::<f64>::new();
    let xs: Vec<Var<'_, f64>> = inputs.iter().map(|(n, t)| tape.var_from(t).named(n)).collect();
    let y = op(&xs).named("y");
    let g = tape.var(Tensor::ones(&y.shape())).named("g");
    let grads = grad_with(y, g, &xs).expect("same tape, cotangent of y's shape");
    let inner = tape.borrow();
    grads
        .iter()
        .map(|d| {
            let mut text = expr(&inner, d.idx());
            let mut symbols = symbols.to_vec();
            symbols.sort_by_key(|(concrete, _)| std::cmp::Reverse(concrete.len()));
            for (concrete, symbol) in symbols {
                text = text.replace(concrete, symbol);
            }
            text
        })
        .collect()
}

fn t(shape: &[usize]) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    Tensor::from_vec((0..n).map(|i| (i as f64 * 0.7).sin()).collect(), shape).unwrap()
}

/// `(row name, gradient of each input as the code records it)`.
fn expected() -> Vec<(&'static str, Vec<String>)> {
    let x = || vec![("x", t(&[2, 3, 4]))];
    let shape = ("[2, 3, 4]", "x.shape");
    // The masks of max/min are computed under no_grad: constants that keep only their op.
    let (hits, count) = (("const eq", "hits"), ("const sum", "count"));
    let cond = Tensor::from(vec![1.0, 0.0, 1.0]);
    vec![
        (
            "sum_axes(axes, keepdim)",
            rules(&x(), |v| v[0].sum_axes(&[1], true), &[shape, ("[1]", "axes")]),
        ),
        (
            "max_axes(axes, keepdim)",
            rules(&x(), |v| v[0].max_axes(&[1], true), &[shape, hits, count]),
        ),
        (
            "min_axes(axes, keepdim)",
            rules(&x(), |v| v[0].min_axes(&[1], true), &[shape, hits, count]),
        ),
        ("reshape(shape)", rules(&x(), |v| v[0].reshape(&[4, 6]), &[shape])),
        (
            "permute(perm)",
            rules(
                &x(),
                |v| v[0].permute(&[1, 2, 0]),
                &[("[2, 0, 1]", "inverse(perm)")],
            ),
        ),
        (
            "broadcast_to(shape)",
            rules(
                &[("x", t(&[3, 1]))],
                |v| v[0].broadcast_to(&[2, 3, 4]),
                &[("[3, 1]", "x.shape"), ("[0, 2]", "added and stretched axes")],
            ),
        ),
        (
            "narrow(axis, start, len)",
            rules(
                &x(),
                |v| v[0].narrow(2, 1, 2),
                &[("2, 1, 4", "axis, start, x.shape[axis]")],
            ),
        ),
        (
            "concat(parts, axis)",
            rules(
                &[("a", t(&[2, 3])), ("b", t(&[2, 2]))],
                |v| crate::concat(&[v[0], v[1]], 1).unwrap(),
                &[
                    ("1, 0, 3", "axis, offset_a, len_a"),
                    ("1, 3, 2", "axis, offset_b, len_b"),
                ],
            ),
        ),
        (
            "index_select(axis, indices)",
            rules(
                &x(),
                |v| v[0].index_select(1, &[2, 0, 2]),
                &[("1, indices, 3", "axis, indices, x.shape[axis]")],
            ),
        ),
        (
            "gather(axis, indices)",
            rules(
                &x(),
                |v| v[0].gather(1, &[2, 0, 1, 1, 0, 2, 2, 1]),
                &[("1, indices, 3", "axis, indices, x.shape[axis]")],
            ),
        ),
        (
            "matmul(b)",
            rules(
                &[("a", t(&[2, 3])), ("b", t(&[3, 4]))],
                |v| v[0].matmul(v[1]),
                &[],
            ),
        ),
        (
            // `linear` records the primitive with `tb` set: W is read transposed in place.
            "matmul(b)",
            rules(
                &[("a", t(&[2, 3])), ("b", t(&[4, 3]))],
                |v| v[0].linear(v[1], None),
                &[],
            ),
        ),
        (
            "cond.where_(t, f)",
            rules(
                &[("t", t(&[2, 3])), ("f", t(&[2, 3]))],
                move |v| v[0].tape().constant_from(&cond).named("cond").where_(v[0], v[1]),
                &[("const leaf", "cond.detach()")],
            ),
        ),
    ]
}

#[test]
fn the_structural_rules_of_docs_ops_md_are_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ops.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let mut wrong = Vec::new();
    for (name, grads) in expected() {
        let prefix = format!("| `{name}`");
        let Some(row) = doc.lines().find(|l| l.starts_with(&prefix)) else {
            wrong.push(format!("`{name}`: no row; the code records {grads:?}"));
            continue;
        };
        for grad in grads {
            if !row.contains(&format!("`{grad}`")) {
                wrong.push(format!(
                    "`{name}`: the row does not say `{grad}`, which the code records"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/ops.md, rule column:\n{}",
        wrong.join("\n")
    );
}
