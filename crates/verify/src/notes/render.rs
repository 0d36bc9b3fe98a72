//! The one renderer: the report as text (English or Chinese) and as JSON, and the small
//! template language the claim table writes its sentences in.
//!
//! A template quotes a measured figure as `{=name}` (numbers trimmed to ten significant
//! digits) or `{=name:.3e}` / `{=name:.3}` (Rust's scientific or fixed notation), and picks
//! words by an observation as `{?name}words if true{:}words if false{/}`.

use super::judge::{Fact, Facts};
use super::{Item, NotesReport};
use crate::verdict::{fmt, Verdict};

/// The language of the report's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// English, the note's claims in the project's English rendering.
    #[default]
    En,
    /// Chinese: section titles, the note's own words and the verdicts in Chinese (numbers,
    /// formulas, the engine's values and the explanations as in English).
    Zh,
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "en" => Ok(Lang::En),
            "zh" => Ok(Lang::Zh),
            _ => Err(format!("unknown language {s:?}: expected en or zh")),
        }
    }
}

/// What the report says for each outcome: the sentence is chosen by the computed verdict.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Say {
    pub holds: &'static str,
    pub partly: &'static str,
    pub fails: &'static str,
}

impl Say {
    /// One sentence when the claim holds, another when it does not (a rule with no partial
    /// outcome).
    pub(crate) const fn by(holds: &'static str, fails: &'static str) -> Self {
        Say {
            holds,
            partly: fails,
            fails,
        }
    }

    /// The same words whatever the outcome: only for neutral statements of what was measured.
    pub(crate) const fn same(text: &'static str) -> Self {
        Say::by(text, text)
    }

    /// The template for a verdict.
    pub(crate) fn pick(&self, v: &Verdict) -> &'static str {
        match v {
            Verdict::Holds | Verdict::HoldsWithinRounding => self.holds,
            Verdict::HoldsPartly => self.partly,
            Verdict::DoesNotHold => self.fails,
        }
    }
}

/// Fills a template with the figures. A name the figures lack is a bug in the claim table.
pub(crate) fn fill(template: &str, facts: &Facts) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(k) = rest.find(['{']) {
        out.push_str(&rest[..k]);
        let tail = &rest[k..];
        if let Some(body) = tail.strip_prefix("{=") {
            let end = body.find('}').expect("a closed {=...}");
            let (name, spec) = body[..end].split_once(':').unwrap_or((&body[..end], ""));
            out.push_str(&quote(facts, name, spec));
            rest = &body[end + 1..];
        } else if let Some(body) = tail.strip_prefix("{?") {
            let end = body.find('}').expect("a closed {?...}");
            let name = &body[..end];
            let after = &body[end + 1..];
            let (yes, after) = after.split_once("{:}").expect("{?name}...{:}...{/}");
            let (no, after) = after.split_once("{/}").expect("{?name}...{:}...{/}");
            let chosen = match facts.get(name) {
                Some(Fact::Flag(b)) => *b,
                other => panic!("the template {template:?} picks by {name:?}, which is {other:?}"),
            };
            out.push_str(&fill(if chosen { yes } else { no }, facts));
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

fn quote(facts: &Facts, name: &str, spec: &str) -> String {
    match facts.get(name) {
        Some(Fact::Num(v)) => match spec {
            "" => fmt(*v),
            _ => {
                let digits: usize = spec
                    .trim_start_matches('.')
                    .trim_end_matches('e')
                    .parse()
                    .unwrap_or_else(|_| panic!("format {spec:?} of {name:?}"));
                if spec.ends_with('e') {
                    format!("{v:.digits$e}")
                } else {
                    format!("{v:.digits$}")
                }
            }
        },
        Some(Fact::Text(t)) => t.clone(),
        Some(Fact::Flag(b)) => b.to_string(),
        None => panic!("the claim table quotes {name:?}, which was not measured"),
    }
}

/// A verdict's words.
pub(crate) fn verdict_words(v: &Verdict, lang: Lang) -> &'static str {
    match lang {
        Lang::En => v.label(),
        Lang::Zh => match v {
            Verdict::Holds => "成立",
            Verdict::HoldsWithinRounding => "在舍入误差内成立",
            Verdict::HoldsPartly => "部分成立",
            Verdict::DoesNotHold => "不成立",
        },
    }
}

/// The claim as the Chinese report quotes it: the note's own words, then what they leave
/// implicit.
pub(crate) fn claim_zh(quotes: &[&str], aside: &str) -> String {
    let q: Vec<String> = quotes.iter().map(|q| format!("「{q}」")).collect();
    let q = q.join(" … ");
    if aside.is_empty() {
        q
    } else {
        format!("{q} ({aside})")
    }
}

impl NotesReport {
    /// The report as text, in English.
    pub fn to_text(&self) -> String {
        self.to_text_in(Lang::En)
    }

    /// The report as text in a language: section titles, claims and verdicts in it; the
    /// figures the same in both.
    ///
    /// ```
    /// use chainrule::verify::notes::{run, Lang};
    ///
    /// let r = run();
    /// assert_eq!(r.to_text_in(Lang::En), r.to_text());
    /// let zh = r.to_text_in(Lang::Zh);
    /// // The note's own words, the engine's value as in English.
    /// assert!(zh.contains("] 「此时最终的输出结果为 y = 0.1775」\n    笔记: 0.1775\n    引擎: 1.774441151\n"));
    /// ```
    pub fn to_text_in(&self, lang: Lang) -> String {
        let (note, engine) = match lang {
            Lang::En => ("note:  ", "engine:"),
            Lang::Zh => ("笔记:", "引擎:"),
        };
        let mut out = String::new();
        for (k, s) in self.sections.iter().enumerate() {
            let title = if lang == Lang::Zh { &s.title_zh } else { &s.title };
            out.push_str(&format!("== {}. {title} ==\n", k + 1));
            for i in &s.items {
                let claim = if lang == Lang::Zh { &i.claim_zh } else { &i.claim };
                out.push_str(&format!("[{}] {claim}\n", verdict_words(&i.verdict, lang)));
                out.push_str(&format!("    {note} {}\n", i.note));
                out.push_str(&format!("    {engine} {}\n", i.engine));
                out.push_str(&format!("    {}\n", i.detail));
            }
            out.push('\n');
        }
        let s = self.summary();
        out.push_str(&match lang {
            Lang::En => format!(
                "Summary: {} claims checked: {} hold, {} hold partly, {} do not hold.\n",
                s.checked, s.held, s.partly, s.not_held
            ),
            Lang::Zh => format!(
                "小结: 共检查 {} 条论断: {} 条成立, {} 条部分成立, {} 条不成立。\n",
                s.checked, s.held, s.partly, s.not_held
            ),
        });
        out
    }

    /// The report as JSON: every field in English as before, plus the note's own words and
    /// the Chinese titles and verdicts (`title_zh`, `quote_en`, `quote_zh`, `claim_zh`,
    /// `verdict_zh`).
    pub fn to_json(&self) -> serde_json::Value {
        let s = self.summary();
        let item = |i: &Item| {
            serde_json::json!({
                "claim": i.claim,
                "note": i.note,
                "engine": i.engine,
                "verdict": i.verdict.label(),
                "detail": i.detail,
                "quote_en": i.claim,
                "quote_zh": i.quote_zh,
                "claim_zh": i.claim_zh,
                "verdict_zh": verdict_words(&i.verdict, Lang::Zh),
            })
        };
        serde_json::json!({
            "sections": self.sections.iter().map(|sec| serde_json::json!({
                "title": sec.title,
                "title_zh": sec.title_zh,
                "items": sec.items.iter().map(item).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "summary": {"checked": s.checked, "held": s.held, "held_partly": s.partly, "not_held": s.not_held},
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_quote_figures_and_pick_words_by_observation() {
        let f = Facts::default()
            .num("x", 0.000123456)
            .num("n", 45.0)
            .text("list", "[0, 1]")
            .flag("open", true)
            .flag("dead", false);
        assert_eq!(
            fill("{=n} points, {=x:.1e}, {=x:.3}, {=x}; {=list}", &f),
            "45 points, 1.2e-4, 0.000, 0.000123456; [0, 1]"
        );
        assert_eq!(
            fill(
                "({?open}|tanh| < 1{:}|tanh| = 1{/}) ({?dead}dead{:}not dead{/}) e^{z_i}",
                &f
            ),
            "(|tanh| < 1) (not dead) e^{z_i}"
        );
    }

    #[test]
    #[should_panic(expected = "was not measured")]
    fn a_figure_that_was_not_measured_is_a_bug() {
        fill("{=missing}", &Facts::default());
    }

    #[test]
    fn languages_parse_and_others_do_not() {
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert_eq!("zh".parse::<Lang>(), Ok(Lang::Zh));
        assert!("xx".parse::<Lang>().is_err());
    }
}
