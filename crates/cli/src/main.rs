//! `chainrule`, the command line of the chainrule workspace.
//!
//! - `chainrule train`: trains an MLP classifier on the embedded UCI digits (or MNIST IDX files),
//!   writing a learning curve (CSV and SVG) and a safetensors checkpoint.
//! - `chainrule eval --model FILE`: rebuilds the MLP from a checkpoint and reports its test
//!   accuracy and confusion matrix.
//! - `chainrule predict --model FILE --data rows.csv`: a CSV model's predictions.
//! - `chainrule check`: compares a hand-derived derivative with the engine's, or without a
//!   claim derives it symbolically, chain rule written out.
//! - `chainrule notes`: checks every worked example of the study note.
//! - `chainrule trace`: backprop with every path and local derivative shown.
//! - `chainrule graph`: an expression's graph as DOT or SVG, with values and gradients.
//!
//! Every failure is one line on stderr starting with `error:`; usage errors exit with 2, other
//! errors with 1. Each subcommand lives in its own module; `args` holds the shared value parsers
//! and `data` the data sources.
#![forbid(unsafe_code)]

mod args;
mod check;
mod confusion;
mod data;
mod derive;
mod eval;
mod graph;
mod memory;
mod notes;
mod outputs;
mod plot;
mod predict;
mod tabular;
mod trace;
mod train;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Prints a line to stdout, unless this process is not the one that reports (a process other
/// than 0 of an MPI run: [`QUIET`]); a closed stdout (`chainrule train | head`) is not an error
/// worth a panic, so write errors are ignored.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        if !$crate::QUIET.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = writeln!(std::io::stdout(), $($t)*);
        }
    }};
}

/// Set in the processes of a `train` run that do not report (all but process 0).
pub(crate) static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
pub(crate) use outln;

#[derive(Parser, Debug)]
#[command(
    name = "chainrule",
    version,
    about = "Train MLPs and check hand-derived derivatives with chainrule's autodiff engine"
)]
#[command(propagate_version = true, disable_help_subcommand = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Threads for the engine's kernels (default: the cores this process may use, or
    /// CHAINRULE_NUM_THREADS). Results are the same bits on any number.
    #[arg(long, global = true, value_name = "N", value_parser = args::threads)]
    threads: Option<usize>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train an MLP on a CSV table or images (default: the embedded 8x8 digits) and save its learning curve and weights.
    Train(train::Args),
    /// Evaluate a saved model on a test set: accuracy and confusion matrix, or R², RMSE and MAE.
    Eval(eval::Args),
    /// Predict with a model trained on a CSV table: one output row per input row.
    Predict(predict::Args),
    /// Check a hand-derived derivative against the engine's at many points.
    Check(check::Args),
    /// Check every worked number and formula of the study note with the engine.
    Notes(notes::Args),
    /// Show backprop: every path from the loss to each parameter, with local derivatives.
    Trace(trace::Args),
    /// Print an expression's graph as Graphviz DOT or draw it as SVG, with values and gradients.
    Graph(graph::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(usage_error(&e)),
    };
    if let Some(n) = cli.threads
        && let Err(e) = autograd::try_set_num_threads(n)
    {
        report(&e.to_string());
        return ExitCode::from(1);
    }
    let result = match cli.command {
        Command::Train(a) => train::run(a, cli.threads.is_some()),
        Command::Eval(a) => eval::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Check(a) => check::run(a),
        Command::Notes(a) => notes::run(a),
        Command::Trace(a) => trace::run(a),
        Command::Graph(a) => graph::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(report_now(e).0),
    }
}

/// Prints `e` now as one `error:` line (unless it was printed already) and returns the exit
/// code it calls for: 2 for a usage error, else 1.
pub(crate) fn report_now(e: anyhow::Error) -> Reported {
    if let Some(r) = e.downcast_ref::<Reported>() {
        return Reported(r.0);
    }
    if let Some(ce) = e.downcast_ref::<clap::Error>() {
        return Reported(usage_error(ce));
    }
    report(&message(&e));
    Reported(1)
}

/// Prints a clap error and returns its exit code: help and version go out as clap prints them
/// (exit 0); real usage errors become one line (exit 2).
fn usage_error(e: &clap::Error) -> u8 {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return e.exit_code().clamp(0, 255) as u8;
    }
    report(&format!("{} (see --help)", usage_message(e)));
    2
}

/// `error: ` and the message, in one write: the processes of an MPI run share a stderr, and
/// their lines must not interleave.
fn report(message: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(format!("error: {message}\n").as_bytes());
}

/// An error as one line, as `chainrule` reports it (without `error: `).
pub(crate) fn message(e: &anyhow::Error) -> String {
    match e.downcast_ref::<clap::Error>() {
        Some(ce) => usage_message(ce),
        None => one_line(&chain(e)),
    }
}

/// A usage error's message as one line, without `error: `.
fn usage_message(e: &clap::Error) -> String {
    // clap renders "error: ...", indented details, a tip, a usage block and a pointer to
    // --help, in blocks separated by blank lines; keep the message, the details and the tip.
    let text = e.render().to_string();
    let parts: Vec<String> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|b| !b.is_empty() && !b.starts_with("Usage:") && !b.starts_with("For more information"))
        .map(|b| {
            b.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let msg = parts.join("; ");
    one_line(msg.strip_prefix("error: ").unwrap_or(&msg))
}

/// The error and its causes, `: `-separated, leaving out causes that an error's message
/// already includes (errors made with thiserror often print their source themselves).
pub(crate) fn chain(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !msg.contains(&text) {
            if !msg.is_empty() {
                msg.push_str(": ");
            }
            msg.push_str(&text);
        }
    }
    msg
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A usage error found after parsing (such as an option that does not fit another), reported
/// like clap's own (exit code 2).
pub(crate) fn usage(msg: impl std::fmt::Display) -> anyhow::Error {
    clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, format!("{msg}\n")).into()
}

/// An error already printed (for example a parse error with its caret); exit with this code.
#[derive(Debug)]
pub(crate) struct Reported(pub u8);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "reported above")
    }
}

impl std::error::Error for Reported {}
