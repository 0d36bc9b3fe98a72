//! `chainrule graph`: the graph of a system of definitions as Graphviz DOT, with every
//! value and its gradient.

use crate::check::CheckError;
use crate::system::System;
use autograd::{Tape, Var};
use std::collections::HashMap;

/// DOT for the graph that computes `of` (default: the system's output) at `point`, which must
/// give every input. Inputs are variables, so every node shows `d of / d node`.
///
/// ```
/// let s = verify::System::parse("y = sigmoid(0.5*x + 0.5)").unwrap();
/// let dot = verify::graph::dot(&s, None, &[("x".into(), 1.0)]).unwrap();
/// assert!(dot.contains("\"x\\nvalue 1\\ngrad 0.098306\""));
/// ```
pub fn dot(system: &System, of: Option<&str>, point: &[(String, f64)]) -> Result<String, CheckError> {
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
    env[&of]
        .to_dot_with_gradients()
        .map_err(|e| CheckError::Usage(e.to_string()))
}
