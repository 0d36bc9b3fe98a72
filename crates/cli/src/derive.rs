//! `chainrule check` without `--claim`: the derivative derived symbolically, the chain rule
//! written out, verified by the engine before it is printed.

use crate::args::Format;
use crate::{outln, Reported};
use verify::check::CheckOptions;
use verify::symbolic::{derive, DeriveError};
use verify::System;

/// The exit code of an internal error (a symbolic result the engine does not confirm):
/// `EX_SOFTWARE` of sysexits.h.
pub const INTERNAL_ERROR: u8 = 70;

pub fn run(system: &System, options: &CheckOptions, format: Format, src: &str) -> anyhow::Result<()> {
    let derivations = match derive(system, options) {
        Ok(d) => d,
        Err(DeriveError::Check(e)) => return Err(crate::check::failed(e, src)),
        Err(e @ DeriveError::TooLarge(_)) => return Err(crate::usage(e)),
        Err(e @ DeriveError::NoPoint { .. }) => return Err(e.into()),
        Err(e @ DeriveError::Disagrees { .. }) => {
            eprintln!("error: {e}");
            return Err(Reported(INTERNAL_ERROR).into());
        }
    };
    match format {
        Format::Text => {
            let texts: Vec<String> = derivations
                .iter()
                .map(|d| d.to_text().trim_end().to_string())
                .collect();
            outln!("{}", texts.join("\n\n"));
        }
        Format::Json => {
            let v: Vec<_> = derivations.iter().map(|d| d.to_json()).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "derivatives": v }))?
            );
        }
    }
    Ok(())
}
