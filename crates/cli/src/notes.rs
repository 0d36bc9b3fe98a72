//! `chainrule notes`: the study note's worked examples, each checked by the engine.

use crate::args::Format;
use crate::outln;

/// Options of `chainrule notes`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let report = verify::notes::run();
    match a.format {
        Format::Text => outln!("{}", report.to_text().trim_end()),
        Format::Json => outln!("{}", serde_json::to_string_pretty(&report.to_json())?),
    }
    Ok(())
}
