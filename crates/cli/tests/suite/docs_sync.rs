//! Keeps `docs/notes.md` in sync with the commands: every `text` block that shows a command
//! (`$ chainrule ...`) must be exactly what that command prints now, and every block that
//! shows a section of `chainrule notes` must match the live report.

use std::process::Command;

fn chainrule(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .output()
        .expect("the binary runs");
    // `check` exits 1, with nothing on stderr, when a claim does not hold (docs show such).
    let verdict = args.first().map(String::as_str) == Some("check")
        && out.status.code() == Some(1)
        && out.stderr.is_empty();
    assert!(
        out.status.success() || verdict,
        "chainrule {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .trim_end()
        .to_string()
}

/// Splits a command line written with single quotes, as in the docs.
fn split(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            _ => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

fn text_blocks(doc: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find("```text\n") {
        let body = &rest[start + 8..];
        let end = body.find("\n```").expect("a closed block");
        blocks.push(body[..end].to_string());
        rest = &body[end + 4..];
    }
    blocks
}

#[test]
fn notes_md_shows_what_the_commands_print() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/notes.md"))
        .expect("docs/notes.md");
    let report = chainrule(&["notes".to_string()]);
    let report_zh = chainrule(&["notes".to_string(), "--lang".to_string(), "zh".to_string()]);
    let (mut commands, mut sections, mut summary, mut zh) = (0, 0, 0, 0);
    for block in text_blocks(&doc) {
        if let Some(cmd) = block.lines().next().and_then(|l| l.strip_prefix("$ chainrule ")) {
            let expected: String = block.lines().skip(1).collect::<Vec<_>>().join("\n");
            assert_eq!(
                chainrule(&split(cmd)),
                expected,
                "the output of `chainrule {cmd}` changed: update docs/notes.md"
            );
            commands += 1;
        } else if block.starts_with("== ") && report_zh.contains(&block) {
            // A section shown in the note's language (`--lang zh`), with its summary line.
            zh += 1;
        } else if block.starts_with("== ") {
            assert!(
                report.contains(&block),
                "docs/notes.md shows a section that `chainrule notes` no longer prints:\n{block}"
            );
            sections += 1;
        } else if block.starts_with("Summary:") {
            assert!(
                report.ends_with(&block),
                "the summary changed: update docs/notes.md"
            );
            summary += 1;
        }
    }
    assert_eq!(
        (sections, summary),
        (9, 1),
        "every section of the report and its summary appear in the docs"
    );
    assert!(commands >= 3, "the docs show check and trace output");
    assert_eq!(
        zh, 1,
        "one section appears in Chinese too (`chainrule notes --lang zh`)"
    );
}

/// stdout and stderr of a command, as a terminal shows them (stdout first, then errors).
fn chainrule_shown(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .output()
        .expect("the binary runs");
    let mut shown = String::from_utf8(out.stdout).expect("UTF-8 output");
    shown.push_str(&String::from_utf8(out.stderr).expect("UTF-8 errors"));
    shown.trim_end().to_string()
}

#[test]
fn cli_md_shows_what_check_trace_and_graph_print() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md"))
        .expect("docs/cli.md");
    let mut commands = 0;
    for block in text_blocks(&doc) {
        // A block may show several commands, each `$ chainrule ...` followed by its output.
        let mut runs: Vec<(String, Vec<&str>)> = Vec::new();
        for line in block.lines() {
            match line.strip_prefix("$ chainrule ") {
                Some(cmd) => runs.push((cmd.to_string(), Vec::new())),
                None => {
                    if let Some((_, out)) = runs.last_mut() {
                        out.push(line)
                    }
                }
            }
        }
        for (cmd, out) in runs {
            let deterministic = ["check ", "trace", "graph "].iter().any(|c| cmd.starts_with(c));
            if !deterministic || cmd.contains('|') {
                continue;
            }
            assert_eq!(
                chainrule_shown(&split(&cmd)),
                out.join("\n").trim_end(),
                "the output of `chainrule {cmd}` changed: update docs/cli.md"
            );
            commands += 1;
        }
    }
    assert!(
        commands >= 10,
        "docs/cli.md shows check, trace and graph output ({commands})"
    );
}
