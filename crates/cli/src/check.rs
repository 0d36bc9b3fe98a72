//! `chainrule check`: is a hand-derived derivative right?

use crate::args::{self, Format};
use crate::{outln, Reported};
use verify::check::{check, CheckError, CheckOptions};
use verify::System;

/// Options of `chainrule check`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 when every claim holds, 1 when any does not (or is \
    defined at no point), 2 for usage or input errors (a syntax error, an unknown name, \
    several possible outputs without --of)."
)]
pub struct Args {
    /// Definitions `name = expression`, separated by `;` or newlines, in any order, e.g.
    /// 'z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x'.
    // No `allow_hyphen_values`: a definition starts with a name, never with `-`, and an
    // unknown option such as `--bogus` must be reported as one, not read as the definitions.
    pub system: String,
    /// The variable(s) to differentiate with respect to, comma-separated (one --claim each).
    #[arg(long, value_parser = args::names)]
    pub wrt: Vec<Vec<String>>,
    /// The claimed derivative; may use the intermediate names. Repeat for several --wrt.
    /// Without any, check derives: the chain rule written out and the simplified derivative,
    /// verified by the engine.
    #[arg(long, allow_hyphen_values = true)]
    pub claim: Vec<String>,
    /// The order of the derivative (1 to 10).
    #[arg(long, default_value_t = 1, value_parser = args::order, allow_negative_numbers = true)]
    pub order: usize,
    /// The defined name to differentiate (default: the one no other definition uses; with
    /// several such names, this option is needed).
    #[arg(long)]
    pub of: Option<String>,
    /// An extra point, e.g. --at x=0.5 (every input needs a value); repeatable.
    #[arg(long, value_parser = args::assignments, allow_hyphen_values = true)]
    pub at: Vec<Vec<(String, f64)>>,
    /// Relative tolerance of the comparison.
    #[arg(long, default_value_t = 1e-9, value_parser = args::positive, allow_negative_numbers = true)]
    pub rtol: f64,
    /// Absolute tolerance of the comparison.
    #[arg(long, default_value_t = 1e-9, value_parser = args::non_negative, allow_negative_numbers = true)]
    pub atol: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Parses the definitions, or prints the error with a caret under the column.
pub fn parse_system(src: &str) -> anyhow::Result<System> {
    System::parse(src).map_err(|e| {
        eprintln!("{}", e.render(src));
        Reported(2).into()
    })
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let system = parse_system(&a.system)?;
    let wrt: Vec<String> = a.wrt.into_iter().flatten().collect();
    let options = CheckOptions {
        of: a.of,
        wrt,
        order: a.order,
        at: a.at,
        rtol: a.rtol,
        atol: a.atol,
    };
    if a.claim.is_empty() {
        return crate::derive::run(&system, &options, a.format, &a.system);
    }
    let reports = check(&system, &a.claim, &options).map_err(|e| failed(e, &a.system))?;
    match a.format {
        Format::Text => {
            for r in &reports {
                outln!("{}", r.to_text().trim_end());
            }
        }
        Format::Json => {
            let v: Vec<_> = reports.iter().map(|r| r.to_json()).collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "claims": v }))?
            );
        }
    }
    // Exit 1 when a claim does not hold, so that a course's CI can run `check`.
    if reports.iter().all(|r| r.agrees()) {
        Ok(())
    } else {
        Err(Reported(1).into())
    }
}

/// A check that could not run, reported: syntax errors with a caret under the column (in the
/// definitions `src` or in a claim), the rest as usage errors (exit code 2).
pub fn failed(e: CheckError, src: &str) -> anyhow::Error {
    match e {
        CheckError::System(e) => {
            eprintln!("{}", e.render(src));
            Reported(2).into()
        }
        CheckError::Claim(claim, e) => {
            eprintln!("{}", e.render(&claim));
            Reported(2).into()
        }
        CheckError::Usage(m) => crate::usage(m),
        e @ (CheckError::TooLarge(_) | CheckError::Output(_)) => crate::usage(e),
    }
}
