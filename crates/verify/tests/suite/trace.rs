//! `trace`: every path from the loss to each parameter, whose products sum to the engine's
//! gradient and to gradients derived here by hand; path counts from the network's shape; the
//! SGD step and the second forward pass; and the errors.

use std::collections::HashMap;
use verify::trace::{
    layered_network, trace, ParamTrace, TraceError, TraceReport, MAX_PATHS, NOTE_NETWORK, NOTE_PARAMS,
    NOTE_VALUES,
};
use verify::System;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

fn strings(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn note_values() -> Vec<(String, f64)> {
    NOTE_VALUES.iter().map(|(n, v)| (n.to_string(), *v)).collect()
}

fn param<'a>(r: &'a TraceReport, name: &str) -> &'a ParamTrace {
    r.params
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

fn forward(values: &[(String, f64)], name: &str) -> f64 {
    values
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {values:?}"))
        .1
}

/// The invariants of every parameter's trace: the listed paths run from the loss down to the
/// parameter through named values, each product is the product of its steps, there are as
/// many listed as counted (up to the cap), and the sum over all paths is the engine's gradient.
fn assert_well_formed(r: &TraceReport) {
    for p in &r.params {
        assert_eq!(p.paths.len(), p.path_count.min(MAX_PATHS), "{}", p.name);
        for path in &p.paths {
            let steps = &path.steps;
            assert!(!steps.is_empty());
            assert_eq!(steps[0].from, r.loss.0, "{}: {path:?}", p.name);
            assert_eq!(steps.last().unwrap().to, p.name, "{path:?}");
            for w in steps.windows(2) {
                assert_eq!(w[0].to, w[1].from, "{path:?}");
            }
            let product: f64 = steps.iter().map(|s| s.local).product();
            assert!(close(product, path.product), "{path:?}");
        }
        if p.path_count <= MAX_PATHS {
            let sum: f64 = p.paths.iter().map(|q| q.product).sum();
            assert!(
                close(sum, p.sum),
                "{}: listed paths sum to {sum}, reported {}",
                p.name,
                p.sum
            );
        }
        assert!(
            close(p.sum, p.engine),
            "{}: sum over paths {} vs engine {}",
            p.name,
            p.sum,
            p.engine
        );
    }
}

/// A step as expected: from, to, local derivative.
type Step<'a> = (&'a str, &'a str, f64);

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[test]
fn note_network_paths_sum_to_the_engine_and_to_gradients_by_hand() {
    let s = System::parse(NOTE_NETWORK).unwrap();
    let r = trace(&s, None, &strings(&NOTE_PARAMS), &note_values(), 0.1).unwrap();
    assert_well_formed(&r);

    // By hand: a11 = sigmoid(x1 w11 + b1), y = a21 = relu(a11 w21 + b2), J = 1/2 (y - 2)^2.
    let (w11, w21, b1, b2, x1, label) = (0.5, 1.0, 0.5, 1.0, 1.0, 2.0);
    let a11 = sigmoid(x1 * w11 + b1);
    let z21 = a11 * w21 + b2;
    assert!(z21 > 0.0);
    let y = z21;
    let dj_dy = y - label;
    let da11_dz = (-(x1 * w11 + b1)).exp() / (1.0 + (-(x1 * w11 + b1)).exp()).powi(2);
    let mine = [
        ("w11", dj_dy * w21 * da11_dz * x1),
        ("w21", dj_dy * a11),
        ("b1", dj_dy * w21 * da11_dz),
        ("b2", dj_dy),
    ];
    for (name, g) in mine {
        let p = param(&r, name);
        assert!(close(p.engine, g), "{name}: engine {}, by hand {g}", p.engine);
        assert!(close(p.sum, g), "{name}: sum over paths {}, by hand {g}", p.sum);
        // One path each: the network is a chain.
        assert_eq!(p.path_count, 1, "{name}");
    }
    // The steps as the note writes them, with their local derivatives.
    let expect_steps: [(&str, &[Step]); 2] = [
        (
            "w21",
            &[("J", "y", dj_dy), ("y", "a21", 1.0), ("a21", "w21", a11)],
        ),
        (
            "w11",
            &[
                ("J", "y", dj_dy),
                ("y", "a21", 1.0),
                ("a21", "a11", w21),
                ("a11", "w11", da11_dz * x1),
            ],
        ),
    ];
    for (name, steps) in expect_steps {
        let got = &param(&r, name).paths[0].steps;
        assert_eq!(got.len(), steps.len(), "{got:?}");
        for (g, (from, to, local)) in got.iter().zip(steps) {
            assert_eq!((g.from.as_str(), g.to.as_str()), (*from, *to));
            assert!(close(g.local, *local), "{g:?}: by hand {local}");
        }
    }
    // The forward pass.
    assert_eq!(r.loss.0, "J");
    assert!(close(r.loss.1, 0.5 * dj_dy * dj_dy));
    assert!(close(forward(&r.forward, "a11"), a11));
    assert!(close(forward(&r.forward, "a21"), y));
    assert!(close(forward(&r.forward, "y"), y));

    // The SGD step, and the forward pass with the new values.
    assert_eq!(r.lr, 0.1);
    let new: HashMap<&str, f64> = mine
        .iter()
        .map(|&(n, g)| (n, forward(&note_values(), n) - 0.1 * g))
        .collect();
    for (name, old, updated) in &r.update {
        let p = param(&r, name);
        assert_eq!(*old, p.value);
        assert_eq!(*updated, old - r.lr * p.engine, "{name}");
        assert!(close(*updated, new[name.as_str()]), "{name}");
    }
    let a11_new = sigmoid(x1 * new["w11"] + new["b1"]);
    let y_new = (a11_new * new["w21"] + new["b2"]).max(0.0);
    assert!(close(forward(&r.second_forward, "a11"), a11_new));
    assert!(close(forward(&r.second_forward, "y"), y_new));
    assert!(close(
        forward(&r.second_forward, "J"),
        0.5 * (y_new - label).powi(2)
    ));

    // The text shows the work and says the sums equal the gradients.
    let text = r.to_text();
    assert!(text.contains("dJ/dy * dy/da21 * da21/da11 * da11/dw11"), "{text}");
    assert_eq!(text.matches("(equal)").count(), 4, "{text}");
    assert!(!text.contains("DIFFERENT"));
    let json = r.to_json();
    assert_eq!(json["params"].as_array().unwrap().len(), 4);
    for (j, p) in json["params"].as_array().unwrap().iter().zip(&r.params) {
        assert_eq!(j["name"], p.name.as_str());
        assert_eq!(j["path_count"].as_u64(), Some(p.path_count as u64));
        assert_eq!(j["sum"].as_f64(), Some(p.sum));
        assert_eq!(j["engine"].as_f64(), Some(p.engine));
    }
}

#[test]
fn several_variables_give_one_path_per_route() {
    // z = u^2 + v^3, u = 2 - y, v = 4 + y, y = 4x: the routes through u and v give
    // 2u * (-1) * 4 and 3v^2 * 1 * 4.
    let s = System::parse("z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x").unwrap();
    for x in [1.0, -0.3, 2.5, 0.0] {
        let r = trace(&s, None, &strings(&["x"]), &[("x".to_string(), x)], 0.1).unwrap();
        assert_well_formed(&r);
        let (y, u, v) = (4.0 * x, 2.0 - 4.0 * x, 4.0 + 4.0 * x);
        assert!(close(forward(&r.forward, "y"), y) && close(forward(&r.forward, "u"), u));
        let p = param(&r, "x");
        assert_eq!(p.path_count, 2);
        let (du_dy, dv_dy, dy_dx) = (-1.0, 1.0, 4.0);
        let via_u = 2.0 * u * du_dy * dy_dx;
        let via_v = 3.0 * v * v * dv_dy * dy_dx;
        for (mid, product, locals) in [
            ("u", via_u, [2.0 * u, du_dy, dy_dx]),
            ("v", via_v, [3.0 * v * v, dv_dy, dy_dx]),
        ] {
            let path = p
                .paths
                .iter()
                .find(|q| q.steps[0].to == mid)
                .unwrap_or_else(|| panic!("no path via {mid}"));
            let names: Vec<(&str, &str)> = path
                .steps
                .iter()
                .map(|s| (s.from.as_str(), s.to.as_str()))
                .collect();
            assert_eq!(names, [("z", mid), (mid, "y"), ("y", "x")]);
            for (s, l) in path.steps.iter().zip(locals) {
                assert!(close(s.local, l), "{s:?}: by hand {l}");
            }
            assert!(close(path.product, product), "{path:?}: by hand {product}");
        }
        let by_hand = 192.0 * x * x + 416.0 * x + 176.0;
        assert!(close(p.sum, via_u + via_v) && close(p.sum, by_hand) && close(p.engine, by_hand));
    }
}

/// The layer (1-based, as in the names `w{l}_{j}_{i}`, `b{l}_{j}`) of a parameter.
fn layer_of(name: &str) -> usize {
    name[1..].split('_').next().unwrap().parse().unwrap()
}

/// Paths from J to a parameter of layer `l`: J -> y, then through one unit of each layer
/// after `l` (all but the output, which is the single y).
fn paths_by_shape(sizes: &[usize], l: usize) -> usize {
    sizes.iter().take(sizes.len() - 1).skip(l + 1).product()
}

/// The layered network's forward pass and gradients, by hand (backprop written out for
/// scalar weights): returns J and dJ/dp for every parameter.
fn layered_by_hand(sizes: &[usize], act: &str, values: &HashMap<String, f64>) -> (f64, HashMap<String, f64>) {
    let f = |z: f64| match act {
        "sigmoid" => sigmoid(z),
        "tanh" => z.tanh(),
        "relu" => z.max(0.0),
        _ => unreachable!(),
    };
    let df = |z: f64| match act {
        "sigmoid" => sigmoid(z) * (1.0 - sigmoid(z)),
        "tanh" => 1.0 - z.tanh().powi(2),
        "relu" => f64::from(u8::from(z > 0.0)),
        _ => unreachable!(),
    };
    let last = sizes.len() - 1;
    let w = |l: usize, j: usize, i: usize| values[&format!("w{l}_{j}_{i}")];
    let b = |l: usize, j: usize| values[&format!("b{l}_{j}")];
    // Forward: pre-activations z[l][j] and outputs a[l][j] (a[0] = inputs).
    let mut a: Vec<Vec<f64>> = vec![(1..=sizes[0]).map(|i| values[&format!("x{i}")]).collect()];
    let mut z: Vec<Vec<f64>> = vec![vec![]];
    for l in 1..=last {
        let zl: Vec<f64> = (1..=sizes[l])
            .map(|j| {
                (1..=sizes[l - 1])
                    .map(|i| w(l, j, i) * a[l - 1][i - 1])
                    .sum::<f64>()
                    + b(l, j)
            })
            .collect();
        a.push(if l == last {
            zl.clone()
        } else {
            zl.iter().map(|&v| f(v)).collect()
        });
        z.push(zl);
    }
    let y = a[last][0];
    let label = values["label"];
    let loss = 0.5 * (y - label).powi(2);
    // Backward: delta[l][j] = dJ/dz[l][j].
    let mut grads = HashMap::new();
    let mut delta = vec![y - label];
    for l in (1..=last).rev() {
        for j in 1..=sizes[l] {
            grads.insert(format!("b{l}_{j}"), delta[j - 1]);
            for i in 1..=sizes[l - 1] {
                grads.insert(format!("w{l}_{j}_{i}"), delta[j - 1] * a[l - 1][i - 1]);
            }
        }
        if l > 1 {
            delta = (1..=sizes[l - 1])
                .map(|i| (1..=sizes[l]).map(|j| w(l, j, i) * delta[j - 1]).sum::<f64>() * df(z[l - 1][i - 1]))
                .collect();
        }
    }
    (loss, grads)
}

#[test]
fn layered_networks_have_the_paths_their_shape_implies() {
    let cases: [(&[usize], &str, u64); 6] = [
        (&[2, 3, 1], "sigmoid", 0),
        (&[2, 2, 2, 1], "sigmoid", 1),
        (&[3, 4, 3, 1], "tanh", 2),
        (&[2, 3, 3, 2, 1], "relu", 3),
        (&[1, 1], "sigmoid", 4),
        (&[2, 5, 5, 5, 1], "tanh", 5),
    ];
    for (sizes, act, seed) in cases {
        let (src, values, params) = layered_network(sizes, act, seed).unwrap();
        let s = System::parse(&src).unwrap();
        assert_eq!(s.output(), Ok("J"));
        // Every parameter has a value, and the inputs are the x's, the parameters and the label.
        let map: HashMap<String, f64> = values.iter().cloned().collect();
        let mut inputs = s.inputs();
        inputs.sort();
        let mut expected: Vec<String> = params.clone();
        expected.extend((1..=sizes[0]).map(|i| format!("x{i}")));
        expected.push("label".into());
        expected.sort();
        assert_eq!(inputs, expected, "{src}");
        let weights: usize = sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
        assert_eq!(params.len(), weights);

        let r = trace(&s, None, &params, &values, 0.1).unwrap();
        assert_well_formed(&r);
        let (loss, grads) = layered_by_hand(sizes, act, &map);
        assert!(
            close(r.loss.1, loss),
            "{sizes:?}: J = {} by the trace, {loss} by hand",
            r.loss.1
        );
        for p in &r.params {
            assert_eq!(
                p.path_count,
                paths_by_shape(sizes, layer_of(&p.name)),
                "{sizes:?} {}",
                p.name
            );
            let g = grads[&p.name];
            assert!(
                (p.engine - g).abs() <= 1e-12 * (1.0 + g.abs()),
                "{sizes:?} {}: engine {}, by hand {g}",
                p.name,
                p.engine
            );
        }
        // SGD with lr 0.1.
        for ((name, old, new), p) in r.update.iter().zip(&r.params) {
            assert_eq!(name, &p.name);
            assert_eq!(*old, map[name]);
            assert_eq!(*new, old - 0.1 * p.engine);
        }
    }
    // The shapes the note's remark is about: a first-layer weight of a 2-3-1 network has one
    // path; of a 2-2-2-1 network, two.
    assert_eq!(paths_by_shape(&[2, 3, 1], 1), 1);
    assert_eq!(paths_by_shape(&[2, 2, 2, 1], 1), 2);
}

#[test]
fn many_paths_are_counted_and_summed_beyond_the_listed_ones() {
    // 2-8-8-1: a first-layer weight has 8 paths; 2-8-8-8-1 has 64; 2-9-9-9-1 has 81 > MAX_PATHS.
    let (src, values, params) = layered_network(&[2, 9, 9, 9, 1], "tanh", 7).unwrap();
    let s = System::parse(&src).unwrap();
    let first: Vec<String> = params
        .iter()
        .filter(|p| layer_of(p) == 1)
        .take(2)
        .cloned()
        .collect();
    let r = trace(&s, None, &first, &values, 0.1).unwrap();
    assert_well_formed(&r);
    let (_, grads) = layered_by_hand(&[2, 9, 9, 9, 1], "tanh", &values.iter().cloned().collect());
    for p in &r.params {
        assert_eq!(p.path_count, 81);
        assert_eq!(p.paths.len(), MAX_PATHS);
        assert!((p.sum - grads[&p.name]).abs() <= 1e-12 * (1.0 + grads[&p.name].abs()));
    }
    assert!(r
        .to_text()
        .contains(&format!("... and {} more paths", 81 - MAX_PATHS)));
}

#[test]
fn reused_values_multiply_paths_without_taking_exponential_time() {
    // a1 = x + x, a2 = a1 + a1, ...: 2^k paths to x, each of product 1.
    for k in [10u32, 40, 63] {
        let defs: Vec<String> = std::iter::once("a1 = x + x".to_string())
            .chain((2..=k).map(|i| format!("a{i} = a{} + a{}", i - 1, i - 1)))
            .collect();
        let s = System::parse(&defs.join("; ")).unwrap();
        let r = trace(&s, None, &strings(&["x"]), &[("x".into(), 0.5)], 0.1).unwrap();
        assert_well_formed(&r);
        let p = param(&r, "x");
        assert_eq!(p.path_count, 1usize << k);
        assert_eq!(p.paths.len(), MAX_PATHS.min(1 << k));
        assert!(p
            .paths
            .iter()
            .all(|q| q.product == 1.0 && q.steps.len() == k as usize));
        assert_eq!((p.sum, p.engine), (2f64.powi(k as i32), 2f64.powi(k as i32)));
    }
}

#[test]
fn the_update_is_old_minus_lr_times_the_gradient() {
    let s = System::parse(NOTE_NETWORK).unwrap();
    for lr in [0.1, 0.5, 2.0, 0.0] {
        let r = trace(&s, None, &strings(&NOTE_PARAMS), &note_values(), lr).unwrap();
        assert_eq!(r.lr, lr);
        assert_eq!(r.update.len(), NOTE_PARAMS.len());
        for (name, old, new) in &r.update {
            let p = param(&r, name);
            assert_eq!(*new, old - lr * p.engine);
        }
        // The second forward pass is the system evaluated at the new values.
        let mut values = note_values();
        for (n, v) in values.iter_mut() {
            if let Some((_, _, new)) = r.update.iter().find(|(u, _, _)| u == n) {
                *v = *new;
            }
        }
        let again = trace(&s, None, &[], &values, lr).unwrap();
        assert_eq!(again.forward, r.second_forward);
        assert!(again.params.is_empty() && again.update.is_empty());
        if lr == 0.0 {
            assert_eq!(r.second_forward, r.forward);
        }
    }
}

#[test]
fn a_loss_other_than_the_output() {
    // Tracing a11 instead of J: d a11 / d w11 = a11 (1 - a11) x1, and w21 does not reach it.
    let s = System::parse(NOTE_NETWORK).unwrap();
    let r = trace(&s, Some("a11"), &strings(&["w11", "w21"]), &note_values(), 0.1).unwrap();
    assert_well_formed(&r);
    let a11 = sigmoid(1.0);
    assert!(close(param(&r, "w11").engine, a11 * (1.0 - a11)));
    assert_eq!(param(&r, "w21").path_count, 0);
    assert_eq!(param(&r, "w21").engine, 0.0);
}

#[test]
fn errors() {
    let s = System::parse(NOTE_NETWORK).unwrap();
    let usage = |r: Result<TraceReport, TraceError>| match r {
        Err(TraceError::Usage(m)) => m,
        other => panic!("{other:?}"),
    };
    // A parameter that is not an input: unknown, or a defined name.
    for p in ["w99", "a11", "J"] {
        let m = usage(trace(&s, None, &strings(&[p]), &note_values(), 0.1));
        assert!(m.contains(&format!("'{p}' is not an input")), "{m}");
    }
    // A missing value.
    let missing: Vec<(String, f64)> = note_values().into_iter().filter(|(n, _)| n != "x1").collect();
    let m = usage(trace(&s, None, &strings(&NOTE_PARAMS), &missing, 0.1));
    assert!(m.contains("no value for the input 'x1'"), "{m}");
    // A loss that is not defined.
    match trace(&s, Some("K"), &strings(&NOTE_PARAMS), &note_values(), 0.1) {
        Err(e @ TraceError::Output(verify::OutputError::Undefined(_))) => {
            assert!(e.to_string().contains("'K' is not defined"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // A cycle in the definitions.
    let cyclic = System::parse("J = a*w; a = J + 1").unwrap();
    match trace(&cyclic, None, &strings(&["w"]), &[("w".into(), 1.0)], 0.1) {
        Err(TraceError::System(e)) => assert!(e.message.contains("cycle"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Bad network shapes.
    for sizes in [&[][..], &[2], &[2, 0, 1], &[2, 2], &[0, 1], &[64, 64, 2, 1]] {
        match layered_network(sizes, "sigmoid", 0) {
            Err(TraceError::Usage(m)) => assert!(m.contains("--layers"), "{m}"),
            other => panic!("{sizes:?}: {other:?}"),
        }
    }
}
