//! `chainrule notes`: the study note's worked examples, each checked by the engine.

use crate::args::Format;
use crate::outln;
use verify::notes::Lang;

/// Options of `chainrule notes`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Language of the text report: the note's claims in English, or in its own Chinese words
    /// (section titles and verdicts too; numbers and formulas are the same). JSON carries both.
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
}

/// The languages of `--lang`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LangArg {
    /// English.
    En,
    /// Chinese (中文), the note's own language.
    Zh,
}

pub fn run(a: Args) -> anyhow::Result<()> {
    let report = verify::notes::run();
    let lang = match a.lang {
        LangArg::En => Lang::En,
        LangArg::Zh => Lang::Zh,
    };
    match a.format {
        Format::Text => outln!("{}", report.to_text_in(lang).trim_end()),
        Format::Json => outln!("{}", serde_json::to_string_pretty(&report.to_json())?),
    }
    Ok(())
}
