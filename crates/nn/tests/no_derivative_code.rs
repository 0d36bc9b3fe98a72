//! Enforces the rule that defines this crate: **`nn` contains no derivative code.** Every
//! neuron, activation, loss and layer is an expression of `autograd`'s public ops, and every
//! gradient comes from the engine's reverse sweep. This test reads every `src/**/*.rs` file of
//! the crate (found through `CARGO_MANIFEST_DIR`) and the crate's manifest, and fails with a
//! list of `file:line: rule: detail` lines if any rule below is broken.
//!
//! The sources are lexed, not grepped: comments (including doc comments and their doctests),
//! string literals and char literals are skipped, so prose such as "the sigmoid's derivative
//! is y(1 - y)" or an example `fn` in documentation does not count, while code does.
//!
//! # The rules
//!
//! 1. **No derivative definitions.** No function (`fn name`, free, method or trait method, at
//!    any nesting), closure bound by `let` (`let name = |..| ..` or `let name = move |..| ..`)
//!    or `macro_rules!` macro may have a name that mentions a derivative. A name is split into
//!    words at `_` and at lower-to-upper case changes (`SigmoidGrad` is `sigmoid`, `grad`),
//!    and it mentions a derivative if a word *starts with* `grad` (`grad`, `grads`,
//!    `gradient`, ...) or *contains* `deriv`, `vjp`, `jvp`, `backward` or `backprop`. So
//!    `fn sigmoid_grad`, `fn relu_derivative`, `fn backward`, `fn dense_vjp` and
//!    `let tanh_grad = |y| ..` all fail, and `fn upgrade` does not.
//!
//!    *Calling* the engine is allowed: `loss.backward()` and the engine's `Gradients` are the
//!    engine doing the work, and nothing here looks at calls. Two definitions whose names
//!    mention gradients are allowed by name, because neither computes a derivative; each only
//!    handles gradients the engine already computed ([`ALLOWED`] lists them with the reason):
//!    `Bound::grads` in `src/param.rs` reads the parameters' gradients out of the engine's
//!    `Gradients`, and `clip_grad_norm` in `src/optim.rs` rescales them (PyTorch's
//!    `clip_grad_norm_`). An allowance is for one name in one file; a new one must be added
//!    here, in review, with its reason. An allowance whose definition no longer exists fails
//!    the test too, so the list cannot go stale and quietly cover a future derivative.
//!
//! 2. **No `unsafe`.** The keyword `unsafe` does not occur in code (blocks, functions, impls or
//!    traits), and `src/lib.rs` keeps `#![forbid(unsafe_code)]`, so the compiler enforces the
//!    same from the inside.
//!
//! 3. **Only `autograd`'s public API.** In Rust a crate can only name another crate's public
//!    items, so using `autograd` as a dependency already restricts `nn` to its public API; what
//!    remains to check is that `autograd` is reached only as a dependency:
//!    - `Cargo.toml` has a `[dependencies]` entry `autograd` that is `autograd.workspace =
//!      true` (or `autograd = { workspace = true }`), and the workspace's entry points at the
//!      autograd crate's root (`path = "crates/autograd"`, `package = "chainrule-autograd"`),
//!      not at anything inside it; no dependency of `nn`, in any table, has a `path` into
//!      `autograd`'s directory other than that root, and none enables features of it;
//!    - no build script (`build.rs`, or a `build =` key), which could copy engine sources in;
//!    - no `#[path = ...]` module attribute, which could compile one of `autograd`'s private
//!      source files as a module of `nn`;
//!    - every `include!`, `include_str!` and `include_bytes!` takes a string literal naming a
//!      file inside `crates/nn` (the embedded digits data is in `crates/nn/data`).
//!
//! The scanner checks itself: if the delimiters of a file do not balance after lexing, it
//! could not read the file reliably, and that fails the test as well.
//!
//! # Limits
//! This is a lint, not a proof: a derivative written inline under an innocent name (a
//! hand-made `y * (1 - y)` fed to an optimiser) is not detected by rule 1. Review catches
//! that; this test catches the named helpers (`sigmoid_grad`, `mse_backward`, ...) that such
//! code almost always grows, and it fails loudly the moment one is added. The tests at the
//! bottom show each rule firing on small sources, and one copies the real `src/` tree, adds
//! `fn sigmoid_grad` to it, and checks that the scan fails.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Definitions whose names mention gradients but which compute no derivative:
/// `(file relative to the crate root, name, why it is not derivative code)`.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "src/param.rs",
        "grads",
        "Bound::grads reads the gradients the engine computed out of its Gradients, by parameter",
    ),
    (
        "src/optim.rs",
        "clip_grad_norm",
        "rescales gradients the engine computed so their joint norm is bounded (PyTorch's clip_grad_norm_)",
    ),
    (
        "src/optim.rs",
        "check_grads",
        "checks the count and shapes of gradients the engine computed against the parameters",
    ),
];

/// Word prefixes that name a derivative.
const WORD_PREFIXES: &[&str] = &["grad"];
/// Substrings of a word that name a derivative.
const WORD_INFIXES: &[&str] = &["deriv", "vjp", "jvp", "backward", "backprop"];

// ---------------------------------------------------------------------------------------
// A small Rust lexer: enough to tell code from comments, strings and chars.

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: usize,
}

fn lex(src: &str) -> Vec<Token> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    line += (c[i] == '\n') as usize;
                    i += 1;
                }
            }
        } else if let Some((len, hashes)) = raw_string_start(&c, i) {
            // r"..", r#".."#, br"..", cr".."
            let start_line = line;
            let mut j = i + len;
            let mut s = String::new();
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                    j += 1 + hashes;
                    break;
                }
                line += (c[j] == '\n') as usize;
                s.push(c[j]);
                j += 1;
            }
            out.push(Token {
                tok: Tok::Str(s),
                line: start_line,
            });
            i = j;
        } else if ch == '"' || ((ch == 'b' || ch == 'c') && at(i + 1) == '"') {
            let start_line = line;
            let mut j = if ch == '"' { i + 1 } else { i + 2 };
            let mut s = String::new();
            while j < c.len() && c[j] != '"' {
                if c[j] == '\\' {
                    s.push(c[j]);
                    j += 1;
                }
                if j < c.len() {
                    line += (c[j] == '\n') as usize;
                    s.push(c[j]);
                }
                j += 1;
            }
            out.push(Token {
                tok: Tok::Str(s),
                line: start_line,
            });
            i = j + 1;
        } else if ch == '\'' || (ch == 'b' && at(i + 1) == '\'') {
            // A char literal ('a', '\n', '\u{1F600}', b'x') or a lifetime / label ('t).
            let q = if ch == '\'' { i } else { i + 1 };
            if at(q + 1) == '\\' {
                // Skip the backslash and the escaped character, then find the closing quote.
                let mut j = q + 3;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if at(q + 2) == '\'' {
                i = q + 3;
            } else {
                // A lifetime: skip the quote; the name lexes as an identifier.
                i = q + 1;
            }
        } else if ch == '_' || ch.is_alphabetic() {
            let mut j = i;
            while j < c.len() && (c[j] == '_' || c[j].is_alphanumeric()) {
                j += 1;
            }
            let mut word: String = c[i..j].iter().collect();
            if word == "r" && at(j) == '#' && (at(j + 1) == '_' || at(j + 1).is_alphabetic()) {
                // A raw identifier r#name.
                let mut k = j + 1;
                while k < c.len() && (c[k] == '_' || c[k].is_alphanumeric()) {
                    k += 1;
                }
                word = c[j + 1..k].iter().collect();
                j = k;
            }
            out.push(Token {
                tok: Tok::Ident(word),
                line,
            });
            i = j;
        } else if ch.is_ascii_digit() {
            let mut j = i;
            while j < c.len() && (c[j] == '_' || c[j].is_alphanumeric()) {
                j += 1;
            }
            i = j;
        } else {
            out.push(Token {
                tok: Tok::Punct(ch),
                line,
            });
            i += 1;
        }
    }
    out
}

/// If a raw string starts at `i`: the length of its opening (`r#"` is 3) and its `#` count.
fn raw_string_start(c: &[char], i: usize) -> Option<(usize, usize)> {
    // Not the tail of an identifier such as `bar"`.
    if i > 0 && (c[i - 1] == '_' || c[i - 1].is_alphanumeric()) {
        return None;
    }
    let mut j = i;
    if c.get(j) == Some(&'b') || c.get(j) == Some(&'c') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (c.get(j) == Some(&'"')).then_some((j + 1 - i, hashes))
}

// ---------------------------------------------------------------------------------------
// The rules.

/// The words of an identifier: split at `_` and at lower-to-upper changes, lowercased.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let mut cur = String::new();
        let mut prev_lower = false;
        for ch in part.chars() {
            if ch.is_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = ch.is_lowercase() || ch.is_ascii_digit();
            cur.extend(ch.to_lowercase());
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// Whether a name mentions a derivative (rule 1), and the word that does.
fn derivative_word(name: &str) -> Option<String> {
    words(name).into_iter().find(|w| {
        WORD_PREFIXES.iter().any(|p| w.starts_with(p)) || WORD_INFIXES.iter().any(|s| w.contains(s))
    })
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t.map(|t| &t.tok) {
        Some(Tok::Ident(s)) => Some(s),
        _ => None,
    }
}

fn punct(t: Option<&Token>, p: char) -> bool {
    matches!(t.map(|t| &t.tok), Some(Tok::Punct(q)) if *q == p)
}

/// A named definition found in a file: what kind, its name and line.
#[derive(Clone, Debug, PartialEq)]
struct Definition {
    kind: &'static str,
    name: String,
    line: usize,
}

/// Every function, `let`-bound closure and `macro_rules!` macro defined in the tokens.
fn definitions(toks: &[Token]) -> Vec<Definition> {
    let mut defs = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Ident(k) if k == "fn" => {
                // `fn name` (a definition), not `fn(` (a function-pointer type).
                if let Some(name) = ident(toks.get(i + 1)) {
                    defs.push(Definition {
                        kind: "fn",
                        name: name.to_string(),
                        line: t.line,
                    });
                }
            }
            Tok::Ident(k) if k == "macro_rules" && punct(toks.get(i + 1), '!') => {
                if let Some(name) = ident(toks.get(i + 2)) {
                    defs.push(Definition {
                        kind: "macro",
                        name: name.to_string(),
                        line: t.line,
                    });
                }
            }
            Tok::Ident(k) if k == "let" => {
                let mut j = i + 1;
                if ident(toks.get(j)) == Some("mut") {
                    j += 1;
                }
                let Some(name) = ident(toks.get(j)) else { continue };
                // Skip an optional type annotation up to the `=` at this level.
                let mut k = j + 1;
                if punct(toks.get(k), ':') {
                    let mut depth = 0i32;
                    while let Some(tk) = toks.get(k) {
                        match tk.tok {
                            Tok::Punct('<' | '(' | '[') => depth += 1,
                            Tok::Punct('>' | ')' | ']') => depth -= 1,
                            Tok::Punct('=') if depth <= 0 => break,
                            Tok::Punct(';') => break,
                            _ => {}
                        }
                        k += 1;
                    }
                }
                if !punct(toks.get(k), '=') {
                    continue;
                }
                k += 1;
                if ident(toks.get(k)) == Some("move") {
                    k += 1;
                }
                if punct(toks.get(k), '|') {
                    defs.push(Definition {
                        kind: "closure",
                        name: name.to_string(),
                        line: t.line,
                    });
                }
            }
            _ => {}
        }
    }
    defs
}

/// The crate being checked: its root (with `src/` and `Cargo.toml`) and the workspace root.
struct Crate {
    root: PathBuf,
    workspace: PathBuf,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Rules 1, 2 and the source half of rule 3 on one file. `file` is relative to the crate root.
fn check_source(
    file: &str,
    src: &str,
    dir: &Path,
    crate_root: &Path,
    used: &mut Vec<(String, String)>,
) -> Vec<String> {
    let toks = lex(src);
    let mut errs = Vec::new();

    // A self-check of the lexer: if it misread a literal or comment it would skip or invent
    // code, and the delimiters would almost surely stop balancing.
    for (open, close) in [('{', '}'), ('(', ')'), ('[', ']')] {
        let count = |p: char| toks.iter().filter(|t| t.tok == Tok::Punct(p)).count();
        if count(open) != count(close) {
            errs.push(format!(
                "{file}: unreadable: {} `{open}` but {} `{close}` after lexing; the scanner cannot check this file",
                count(open),
                count(close)
            ));
        }
    }

    for d in definitions(&toks) {
        if let Some(word) = derivative_word(&d.name) {
            if ALLOWED.iter().any(|(f, n, _)| *f == file && *n == d.name) {
                used.push((file.to_string(), d.name.clone()));
            } else {
                errs.push(format!(
                    "{file}:{}: derivative code: {} `{}` mentions `{word}`; nn must not define derivatives, the engine computes them",
                    d.line, d.kind, d.name
                ));
            }
        }
    }

    for (i, t) in toks.iter().enumerate() {
        match &t.tok {
            Tok::Ident(k) if k == "unsafe" => {
                errs.push(format!(
                    "{file}:{}: unsafe: `unsafe` is not allowed in nn",
                    t.line
                ));
            }
            Tok::Ident(k) if k == "path" => {
                // `#[path = ..]` or `#![path = ..]`
                let open = i.checked_sub(1).map(|j| punct(toks.get(j), '[')).unwrap_or(false);
                let hash = i
                    .checked_sub(2)
                    .map(|j| punct(toks.get(j), '#') || punct(toks.get(j), '!'));
                if open && hash == Some(true) && punct(toks.get(i + 1), '=') {
                    errs.push(format!(
                        "{file}:{}: internals: a #[path] attribute can compile another crate's private source as a module of nn",
                        t.line
                    ));
                }
            }
            Tok::Ident(k)
                if (k == "include" || k == "include_str" || k == "include_bytes")
                    && punct(toks.get(i + 1), '!') =>
            {
                match toks.get(i + 3).map(|t| &t.tok) {
                    Some(Tok::Str(target)) if punct(toks.get(i + 2), '(') => {
                        let resolved = normalize(&dir.join(target));
                        if !resolved.starts_with(normalize(crate_root)) {
                            errs.push(format!(
                                "{file}:{}: internals: {k}!(\"{target}\") reads {} outside crates/nn",
                                t.line,
                                resolved.display()
                            ));
                        }
                    }
                    _ => errs.push(format!(
                        "{file}:{}: internals: {k}! must take a string literal, so its target can be checked",
                        t.line
                    )),
                }
            }
            _ => {}
        }
    }
    errs
}

/// `a/b/../c` -> `a/c`, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The `key = value` lines of each `[section]` of a TOML file, in order (enough for
/// Cargo manifests written one entry per line).
fn toml_sections(text: &str) -> Vec<(String, Vec<(usize, String)>)> {
    let mut out: Vec<(String, Vec<(usize, String)>)> = vec![(String::new(), Vec::new())];
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') {
            out.push((
                line.trim_matches(|c| c == '[' || c == ']').trim().to_string(),
                Vec::new(),
            ));
        } else {
            out.last_mut()
                .expect("a section")
                .1
                .push((n + 1, line.to_string()));
        }
    }
    out
}

/// The source half and the manifest half of the rules, on a crate. Returns every violation.
fn check_crate(k: &Crate) -> Vec<String> {
    let mut errs = Vec::new();
    let mut used = Vec::new();

    // Sources.
    let mut files = Vec::new();
    rust_files(&k.root.join("src"), &mut files);
    assert!(
        !files.is_empty(),
        "no sources under {}",
        k.root.join("src").display()
    );
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
        let file = rel(&k.root, f);
        errs.extend(check_source(
            &file,
            &src,
            f.parent().expect("a directory"),
            &k.root,
            &mut used,
        ));
    }
    for (f, n, why) in ALLOWED {
        if !used.iter().any(|(uf, un)| uf == f && un == n) {
            errs.push(format!(
                "{f}: stale allowance: no definition `{n}` there any more (allowed because: {why}); remove it from ALLOWED"
            ));
        }
    }
    let lib = std::fs::read_to_string(k.root.join("src/lib.rs")).unwrap_or_default();
    let lib_toks: Vec<Tok> = lex(&lib).into_iter().map(|t| t.tok).collect();
    let forbid = [
        Tok::Punct('#'),
        Tok::Punct('!'),
        Tok::Punct('['),
        Tok::Ident("forbid".into()),
        Tok::Punct('('),
        Tok::Ident("unsafe_code".into()),
        Tok::Punct(')'),
        Tok::Punct(']'),
    ];
    if !lib_toks.windows(forbid.len()).any(|w| w == forbid) {
        errs.push("src/lib.rs: unsafe: #![forbid(unsafe_code)] is missing".into());
    }

    // The manifest.
    if k.root.join("build.rs").exists() {
        errs.push("build.rs: internals: nn must not have a build script".into());
    }
    let manifest = std::fs::read_to_string(k.root.join("Cargo.toml")).expect("crates/nn/Cargo.toml");
    let sections = toml_sections(&manifest);
    let autograd_dir = normalize(&k.workspace.join("crates/autograd"));
    let mut found_autograd = false;
    for (section, lines) in &sections {
        if section == "package" {
            for (n, l) in lines {
                if l.starts_with("build") {
                    errs.push(format!(
                        "Cargo.toml:{n}: internals: nn must not have a build script ({l})"
                    ));
                }
            }
        }
        let is_deps = section.ends_with("dependencies");
        // `[dependencies.autograd]` style tables.
        let table_dep = section.strip_suffix("dependencies.autograd").is_some();
        for (n, l) in lines {
            if let Some(p) = l.split("path").nth(1).and_then(|r| r.split('"').nth(1)) {
                if is_deps || table_dep {
                    let target = normalize(&k.root.join(p));
                    if target.starts_with(&autograd_dir) && target != autograd_dir {
                        errs.push(format!(
                            "Cargo.toml:{n}: internals: path {p:?} points inside autograd, not at its crate root"
                        ));
                    }
                }
            }
            let dep_name = l.split(['=', '.', ' ']).next().unwrap_or("");
            if (section == "dependencies" && dep_name == "autograd")
                || (table_dep && section == "dependencies.autograd")
            {
                found_autograd = true;
                let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                let workspace = compact == "autograd.workspace=true"
                    || (compact.starts_with("autograd={") && compact.contains("workspace=true"))
                    || (table_dep && compact == "workspace=true");
                if !workspace {
                    errs.push(format!(
                        "Cargo.toml:{n}: internals: autograd must come from the workspace (`autograd.workspace = true`), got `{l}`"
                    ));
                }
                if compact.contains("features") {
                    errs.push(format!(
                        "Cargo.toml:{n}: internals: nn must not enable autograd features (`{l}`)"
                    ));
                }
            }
        }
    }
    if !found_autograd {
        errs.push("Cargo.toml: internals: [dependencies] has no `autograd` entry".into());
    }
    // The workspace's entry for autograd: the crate root, by package name.
    let ws = std::fs::read_to_string(k.workspace.join("Cargo.toml")).expect("the workspace Cargo.toml");
    let ws_sections = toml_sections(&ws);
    let ws_entry = ws_sections
        .iter()
        .filter(|(s, _)| s == "workspace.dependencies")
        .flat_map(|(_, ls)| ls)
        .find(|(_, l)| l.split(['=', '.', ' ']).next() == Some("autograd"));
    match ws_entry {
        None => {
            errs.push("../../Cargo.toml: internals: [workspace.dependencies] has no `autograd` entry".into())
        }
        Some((n, l)) => {
            let compact: String = l.chars().filter(|c| !c.is_whitespace()).collect();
            if !(compact.contains("path=\"crates/autograd\"")
                && compact.contains("package=\"chainrule-autograd\""))
            {
                errs.push(format!(
                    "../../Cargo.toml:{n}: internals: autograd must be the crate at crates/autograd (package chainrule-autograd), got `{l}`"
                ));
            }
            if compact.contains("features") {
                errs.push(format!(
                    "../../Cargo.toml:{n}: internals: the workspace must not enable autograd features for nn"
                ));
            }
        }
    }
    let autograd_manifest =
        std::fs::read_to_string(autograd_dir.join("Cargo.toml")).expect("crates/autograd/Cargo.toml");
    if !autograd_manifest.lines().any(|l| {
        let c: String = l.chars().filter(|c| !c.is_whitespace()).collect();
        c == "name=\"chainrule-autograd\""
    }) {
        errs.push(
            "crates/autograd/Cargo.toml: the crate at crates/autograd is not chainrule-autograd".into(),
        );
    }
    errs
}

fn this_crate() -> Crate {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workspace = root.join("../..");
    Crate { root, workspace }
}

fn report(errs: &[String]) -> String {
    let mut s = String::new();
    for e in errs {
        let _ = writeln!(s, "  {e}");
    }
    s
}

/// The rule itself, on the real crate.
#[test]
fn nn_contains_no_derivative_code() {
    let errs = check_crate(&this_crate());
    assert!(
        errs.is_empty(),
        "nn must contain no derivative code (see the rules in crates/nn/tests/no_derivative_code.rs):\n{}",
        report(&errs)
    );
}

// ---------------------------------------------------------------------------------------
// The rules firing (and not firing) on small sources.

fn scan(src: &str) -> Vec<String> {
    let k = this_crate();
    check_source(
        "src/example.rs",
        src,
        &k.root.join("src"),
        &k.root,
        &mut Vec::new(),
    )
}

#[test]
fn a_named_derivative_fails() {
    for src in [
        "pub fn sigmoid_grad(y: f64) -> f64 { y * (1.0 - y) }",
        "impl Dense { fn backward(&self) {} }",
        "fn relu_derivative(z: f64) -> f64 { (z > 0.0) as u8 as f64 }",
        "trait Op { fn vjp(&self, g: f64) -> f64; }",
        "fn tanh_jvp() {}",
        "fn SigmoidGrad() {}",
        "fn grad_sigmoid() {}",
        "fn r#backward() {}",
        "fn backprop_step() {}",
        "fn main() { let tanh_grad = |y: f64| 1.0 - y * y; }",
        "fn main() { let mut mse_deriv: fn(f64) -> f64 = move |e| e; }",
        "macro_rules! grad_rule { () => {} }",
        "fn grads() {}", // allowed only in src/param.rs, and this is src/example.rs
    ] {
        let errs = scan(src);
        assert_eq!(errs.len(), 1, "{src:?} should fail once: {errs:?}");
        assert!(errs[0].contains("derivative code"), "{errs:?}");
    }
}

#[test]
fn calls_docs_strings_and_innocent_names_pass() {
    let src = r####"
        //! The sigmoid's derivative is y (1 - y); a helper would be `fn sigmoid_grad`.
        /// ```
        /// fn sigmoid_grad(y: f64) -> f64 { y * (1.0 - y) }
        /// ```
        fn train_step<'t>(x: &'t str) -> char {
            /* fn backward() {} /* nested */ fn vjp() {} */
            let g = loss.backward();        // calling the engine is fine
            let grads = bound.grads(g);   // so is reading its gradients
            let msg = "fn sigmoid_grad(y) is derivative code";
            let raw = r#"fn backward() { unsafe {} }"#;
            let b = b"unsafe"; let c = 'u'; let q = '\'';
            let f: fn(f64) -> f64 = relu;
            fn upgrade() {}
            fn gain() {}
            'x'
        }
    "####;
    assert_eq!(scan(src), Vec::<String>::new());
}

#[test]
fn unsafe_fails() {
    for src in [
        "fn f() { unsafe { std::hint::unreachable_unchecked() } }",
        "unsafe fn f() {}",
        "unsafe impl Send for X {}",
    ] {
        let errs = scan(src);
        assert!(errs.len() == 1 && errs[0].contains("unsafe"), "{src:?}: {errs:?}");
    }
}

#[test]
fn reaching_into_autograd_fails() {
    let errs = scan("#[path = \"../../autograd/src/ops/unary.rs\"] mod unary;");
    assert!(errs.len() == 1 && errs[0].contains("#[path]"), "{errs:?}");
    let errs = scan("const S: &str = include_str!(\"../../autograd/src/backward.rs\");");
    assert!(
        errs.len() == 1 && errs[0].contains("outside crates/nn"),
        "{errs:?}"
    );
    let errs = scan("include!(concat!(env!(\"OUT_DIR\"), \"/rules.rs\"));");
    assert!(errs.len() == 1 && errs[0].contains("string literal"), "{errs:?}");
    // The embedded data is inside the crate.
    assert_eq!(
        scan("const D: &[u8] = include_bytes!(\"../data/digits/t10k-labels-idx1-ubyte\");"),
        Vec::<String>::new()
    );
}

#[test]
fn words_split_as_documented() {
    assert_eq!(words("SigmoidGrad"), ["sigmoid", "grad"]);
    assert_eq!(words("clip_grad_norm"), ["clip", "grad", "norm"]);
    assert_eq!(words("MLPBackward"), ["mlpbackward"]);
    assert_eq!(derivative_word("MLPBackward").as_deref(), Some("mlpbackward"));
    assert_eq!(derivative_word("upgrade"), None);
    assert_eq!(derivative_word("gradients").as_deref(), Some("gradients"));
}

/// The scan of the real tree fails once someone adds `fn sigmoid_grad` to it: copy `src/` and
/// the manifest to a temporary crate, append the helper to `activation.rs`, and scan.
#[test]
fn adding_sigmoid_grad_to_the_real_sources_fails() {
    let k = this_crate();
    let tmp = std::env::temp_dir().join(format!("chainrule-no-deriv-{}", std::process::id()));
    let copy = tmp.join("crates/nn");
    let _ = std::fs::remove_dir_all(&tmp);
    let mut files = Vec::new();
    rust_files(&k.root.join("src"), &mut files);
    for f in &files {
        let dst = copy.join(rel(&k.root, f));
        std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
        std::fs::copy(f, &dst).unwrap();
    }
    std::fs::copy(k.root.join("Cargo.toml"), copy.join("Cargo.toml")).unwrap();
    std::fs::copy(k.workspace.join("Cargo.toml"), tmp.join("Cargo.toml")).unwrap();
    std::fs::create_dir_all(tmp.join("crates/autograd")).unwrap();
    std::fs::copy(
        k.workspace.join("crates/autograd/Cargo.toml"),
        tmp.join("crates/autograd/Cargo.toml"),
    )
    .unwrap();
    let copied = Crate {
        root: copy.clone(),
        workspace: tmp.clone(),
    };
    assert_eq!(
        check_crate(&copied),
        Vec::<String>::new(),
        "the copy passes before the change"
    );

    let act = copy.join("src/activation.rs");
    let mut src = std::fs::read_to_string(&act).unwrap();
    src.push_str(
        "\n/// y' = y (1 - y), by hand.\npub fn sigmoid_grad(y: f64) -> f64 {\n    y * (1.0 - y)\n}\n",
    );
    std::fs::write(&act, src).unwrap();
    let errs = check_crate(&copied);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].starts_with("src/activation.rs:") && errs[0].contains("fn `sigmoid_grad`"),
        "{errs:?}"
    );
}
