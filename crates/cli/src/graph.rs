//! `chainrule graph`: an expression's graph as Graphviz DOT or as SVG drawn here, with values
//! and gradients.

use crate::args::{self, GraphFormat};
use crate::check::parse_system;
use crate::outln;
use verify::check::CheckError;

/// Options of `chainrule graph`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Definitions, e.g. 'y = sigmoid(0.5*x + 0.5)'.
    // No `allow_hyphen_values`: a definition starts with a name, never with `-`, and an
    // unknown option such as `--bogus` must be reported as one, not read as the definitions.
    pub system: String,
    /// Values of the inputs, e.g. --at x=1.
    #[arg(long, value_parser = args::assignments, allow_hyphen_values = true)]
    pub at: Vec<Vec<(String, f64)>>,
    /// The defined name whose graph to draw (default: the one no other definition uses; with
    /// several such names, this option is needed).
    #[arg(long)]
    pub of: Option<String>,
    /// Output format: DOT for Graphviz, or an SVG picture drawn without it.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let system = parse_system(&a.system)?;
    let point: Vec<(String, f64)> = a.at.into_iter().flatten().collect();
    let drawn = match a.format {
        GraphFormat::Dot => verify::graph::dot(&system, a.of.as_deref(), &point),
        GraphFormat::Svg => verify::graph::svg(&system, a.of.as_deref(), &point),
    };
    match drawn {
        Ok(text) => {
            outln!("{}", text.trim_end());
            Ok(())
        }
        Err(CheckError::System(e)) => {
            eprintln!("{}", e.render(&a.system));
            Err(crate::Reported(2).into())
        }
        Err(e) => Err(crate::usage(e)),
    }
}
