//! `chainrule notes`: every worked number and formula of the study note on fully connected
//! networks (shipped in `docs/study-note/`: the Chinese original and an English digest), in
//! the note's order, with the note's claim, the engine's value and a verdict computed at run
//! time.
//!
//! The claims are data (`claims`, `table_concepts`, `table_example`): the note's own words,
//! its value or formula, how the engine computes it, the tolerance rule and the sentences for
//! each outcome. One judge (`judge`) turns a measurement into a verdict and one renderer
//! (`render`) prints it; whether a claim holds is never written down: the engine decides when
//! the report runs.

mod claims;
mod derivative;
mod judge;
mod measure;
mod network;
mod render;
mod table_concepts;
mod table_example;
#[cfg(test)]
mod tests;

pub use claims::ORIGINAL;
pub use render::Lang;

use crate::verdict::Verdict;
use claims::{Claim, NoteSays};
use judge::Judged;

/// One claim of the note and what the engine found.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// What is claimed, in words (English).
    pub claim: String,
    /// The note's own words: verbatim excerpts of the Chinese original ([`ORIGINAL`]).
    pub quote_zh: Vec<String>,
    /// The claim as the Chinese report prints it: the excerpts, and what they leave implicit.
    pub claim_zh: String,
    /// The note's statement (number or formula) as written.
    pub note: String,
    /// What the engine computed.
    pub engine: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Why: where it holds and where not, by how much, and the right value.
    pub detail: String,
}

/// One section of the note.
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// The section's title (the note's order).
    pub title: String,
    /// The title in Chinese.
    pub title_zh: String,
    /// Its claims.
    pub items: Vec<Item>,
}

/// The whole walk through the note.
#[derive(Clone, Debug, PartialEq)]
pub struct NotesReport {
    /// Sections in the note's order.
    pub sections: Vec<Section>,
}

/// Counts of the summary line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Claims checked.
    pub checked: usize,
    /// Held (exactly or within the note's rounding).
    pub held: usize,
    /// Held only for some entries or inputs.
    pub partly: usize,
    /// Did not hold.
    pub not_held: usize,
}

impl NotesReport {
    /// Counts of claims by verdict.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            checked: 0,
            held: 0,
            partly: 0,
            not_held: 0,
        };
        for i in self.sections.iter().flat_map(|s| &s.items) {
            s.checked += 1;
            match i.verdict {
                Verdict::Holds | Verdict::HoldsWithinRounding => s.held += 1,
                Verdict::HoldsPartly => s.partly += 1,
                Verdict::DoesNotHold => s.not_held += 1,
            }
        }
        s
    }
}

/// Runs every check. Takes a fraction of a second.
///
/// ```
/// use chainrule::verify::notes::{run, Lang};
///
/// let report = run();
/// assert_eq!(report.sections.len(), 9);
/// let s = report.summary();
/// assert_eq!(s.held + s.partly + s.not_held, s.checked);
/// assert!(report.to_text_in(Lang::Zh).contains("== 5. 链式法则 =="));
/// ```
pub fn run() -> NotesReport {
    let ctx = network::Context::default();
    NotesReport {
        sections: claims::SECTIONS
            .iter()
            .map(|spec| Section {
                title: spec.title.into(),
                title_zh: spec.title_zh.into(),
                items: spec.claims.iter().map(|c| assess(c, &ctx)).collect(),
            })
            .collect(),
    }
}

/// Measures, judges and words one claim.
fn assess(claim: &Claim, ctx: &network::Context) -> Item {
    let evidence = measure::measure(&claim.measure, ctx);
    let judged = judge::judge(&claim.rule, &claim.note, &evidence);
    item(claim, &judged)
}

/// The report's words for a judged claim: every sentence chosen by the verdict.
fn item(claim: &Claim, judged: &Judged) -> Item {
    let facts = &judged.facts;
    let note = match claim.note {
        NoteSays::Text(t) => render::fill(t, facts),
        NoteSays::Number {
            printed,
            arithmetic: None,
        } => printed.to_string(),
        NoteSays::Number {
            printed,
            arithmetic: Some((formula, inputs)),
        } => {
            let with: Vec<String> = inputs
                .iter()
                .map(|(n, v)| format!("{n} = {}", v.trim_start_matches('~')))
                .collect();
            format!("{formula} = {printed}   (with {})", with.join(", "))
        }
    };
    Item {
        claim: claim.en.into(),
        quote_zh: claim.zh.iter().map(|q| q.to_string()).collect(),
        claim_zh: render::claim_zh(claim.zh, claim.zh_aside),
        note,
        engine: render::fill(claim.engine.pick(&judged.verdict), facts),
        verdict: judged.verdict.clone(),
        detail: render::fill(claim.detail.pick(&judged.verdict), facts),
    }
}
