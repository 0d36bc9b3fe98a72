//! The study note ships with the project (`docs/study-note/`), every claim of `chainrule
//! notes` quotes it verbatim, and no file of the repository points outside it.

use std::path::{Path, PathBuf};
use verify::notes::{run, ORIGINAL};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn original() -> String {
    let path = root().join(ORIGINAL);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_original_is_shipped_as_given() {
    let text = original();
    // As given: 17,673 bytes of UTF-8, from its breadcrumb line to its last furniture line,
    // with no newline after it (docs/study-note/ORIGIN.md).
    assert_eq!(text.len(), 17_673);
    assert_eq!(text.lines().count(), 230);
    assert!(text.starts_with("当前位置: 首页 > backend >正文\n\n全连接神经网络学习笔记\n"));
    assert!(text.ends_with("  • Webug4.0靶场通关笔记22- 第27关文件包含"));
    let digest =
        std::fs::read_to_string(root().join("docs/study-note/README.md")).expect("the English digest");
    assert!(digest.contains("`000_04882f48f226a738.txt` beside this file is the original"));
    assert!(ORIGINAL.ends_with("/000_04882f48f226a738.txt"));
}

#[test]
fn every_claim_quotes_the_original_verbatim() {
    let text = original();
    // The note proper ends before the page's address and its list of unrelated titles.
    let note = &text[..text.find("http://www.xdnf.cn").expect("the page's address")];
    let report = run();
    let mut quotes = 0;
    for s in &report.sections {
        for i in &s.items {
            assert!(!i.quote_zh.is_empty(), "{}: no quote of the note", i.claim);
            for q in &i.quote_zh {
                assert!(!q.trim().is_empty(), "{}: an empty quote", i.claim);
                assert!(note.contains(q.as_str()), "{}: {q:?} is not in the note", i.claim);
                assert!(
                    i.claim_zh.contains(&format!("「{q}」")),
                    "{}: {}",
                    i.claim,
                    i.claim_zh
                );
                quotes += 1;
            }
        }
    }
    assert!(quotes >= report.summary().checked);
}

/// The files git tracks (the repository as cloned), or every file below the root outside
/// `target/` and `.git/` where git is not available.
fn tracked_files() -> Vec<PathBuf> {
    let root = root();
    if let Ok(out) = std::process::Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        && out.status.success()
    {
        return out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| root.join(String::from_utf8_lossy(p).as_ref()))
            .collect();
    }
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("a readable tree").flatten() {
            let p = e.path();
            let name = e.file_name();
            if p.is_dir() {
                if name != "target" && name != ".git" {
                    dirs.push(p);
                }
            } else {
                files.push(p);
            }
        }
    }
    files
}

/// Paths that only exist on the machine the project was written on.
fn outside_paths(line: &str) -> Option<&'static str> {
    const OUTSIDE: &[&str] = &["shared/", "/work/", "/home/", "/Users/", "/root/", "/mnt/"];
    OUTSIDE.iter().copied().find(|p| line.contains(p))
}

#[test]
fn no_file_points_outside_the_repository() {
    let me = Path::new(file!()).file_name().unwrap();
    let mut found = Vec::new();
    let mut read = 0;
    for f in tracked_files() {
        // This file names the patterns it looks for.
        if f.file_name() == Some(me) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue; // not text
        };
        read += 1;
        for (n, line) in text.lines().enumerate() {
            if let Some(p) = outside_paths(line) {
                found.push(format!("{}:{}: {p}: {line}", f.display(), n + 1));
            }
        }
    }
    assert!(read > 100, "only {read} files read");
    assert!(
        found.is_empty(),
        "paths outside the repository:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_path_check_catches_what_it_is_for() {
    assert_eq!(outside_paths("see ../shared/notes/README.md"), Some("shared/"));
    assert_eq!(outside_paths("//! (/work/shared/notes/x.txt)"), Some("shared/"));
    assert_eq!(outside_paths("Run: /work/pyref/bin/python"), Some("/work/"));
    assert_eq!(outside_paths("/home/me/notes"), Some("/home/"));
    assert_eq!(outside_paths("docs/study-note/README.md"), None);
    assert_eq!(outside_paths("http://www.xdnf.cn/news/4805.html"), None);
}
