//! `chainrule trace`: backprop with every path, local derivative and product shown.

use crate::args::{self, TraceFormat};
use crate::check::parse_system;
use crate::outln;
use verify::trace::{layered_network, trace, TraceError, NOTE_NETWORK, NOTE_PARAMS, NOTE_VALUES};

/// Options of `chainrule trace`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Definitions to trace (default: the note's network,
    /// 'a11 = sigmoid(x1*w11 + b1); a21 = relu(a11*w21 + b2); y = a21; J = 1/2*(y - label)^2').
    // No `allow_hyphen_values`: a definition starts with a name, never with `-`, and an
    // unknown option such as `--bogus` must be reported as one, not read as the definitions.
    pub system: Option<String>,
    /// The parameters to differentiate, comma-separated (default: the note's w11,w21,b1,b2,
    /// or every weight and bias with --layers).
    #[arg(long, value_parser = args::names)]
    pub wrt: Option<Vec<Vec<String>>>,
    /// Values, e.g. --set w11=0.5,x1=1 (override the defaults; every input needs one).
    #[arg(long, value_parser = args::assignments, allow_hyphen_values = true)]
    pub set: Vec<Vec<(String, f64)>>,
    /// Learning rate of the SGD step.
    #[arg(long, default_value_t = 0.1, value_parser = args::positive, allow_negative_numbers = true)]
    pub lr: f64,
    /// Trace a fully connected network of these sizes instead (e.g. 2,2,1; the last must be 1).
    #[arg(long, value_parser = args::sizes, conflicts_with = "system")]
    pub layers: Option<args::Sizes>,
    /// Hidden activation of --layers.
    #[arg(long, default_value = "sigmoid", value_parser = ["sigmoid", "tanh", "relu", "softplus"])]
    pub activation: String,
    /// Seed of --layers' weights.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
    /// The defined name to differentiate (default: the one no other definition uses; with
    /// several such names, this option is needed). `--loss` is an older name for it.
    #[arg(long, alias = "loss")]
    pub of: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let (src, mut values, mut params) = match (&a.layers, &a.system) {
        (Some(sizes), _) => layered_network(&sizes.0, &a.activation, a.seed).map_err(crate::usage)?,
        (None, Some(src)) => (src.clone(), Vec::new(), Vec::new()),
        (None, None) => (
            NOTE_NETWORK.to_string(),
            NOTE_VALUES.iter().map(|(n, v)| (n.to_string(), *v)).collect(),
            NOTE_PARAMS.iter().map(|p| p.to_string()).collect(),
        ),
    };
    for (name, v) in a.set.into_iter().flatten() {
        match values.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = v,
            None => values.push((name, v)),
        }
    }
    if let Some(w) = a.wrt {
        params = w.into_iter().flatten().collect();
    }
    if params.is_empty() {
        return Err(crate::usage("name the parameters to differentiate with --wrt"));
    }
    let system = parse_system(&src)?;
    let report = match trace(&system, a.of.as_deref(), &params, &values, a.lr) {
        Ok(r) => r,
        Err(TraceError::System(e)) => {
            eprintln!("{}", e.render(&src));
            return Err(crate::Reported(2).into());
        }
        Err(e @ (TraceError::Usage(_) | TraceError::Output(_))) => return Err(crate::usage(e)),
    };
    match a.format {
        TraceFormat::Text => {
            outln!("{src}\n");
            outln!("{}", report.to_text().trim_end());
        }
        TraceFormat::Json => outln!("{}", serde_json::to_string_pretty(&report.to_json())?),
        // The loss's graph at the values traced: the same check of the inputs has passed.
        TraceFormat::Svg => match verify::graph::svg(&system, Some(&report.loss.0), &values) {
            Ok(svg) => outln!("{}", svg.trim_end()),
            Err(e) => return Err(crate::usage(e)),
        },
    }
    Ok(())
}
