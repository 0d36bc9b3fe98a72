//! `nn` contains no derivative code: every layer, activation, loss and optimiser is an
//! expression of `autograd`'s public ops, and every gradient comes from the engine's sweep.
//!
//! The type system enforces this: the engine's primitives (`Op`) and the tape's recording
//! entry points are private to `autograd`, so `nn` cannot name a primitive or record a node
//! with a rule of its own (the `compile_fail` doctests in `autograd`'s crate docs show both).
//! That holds as long as `nn` reaches `autograd` only as an ordinary dependency, which this
//! test checks: no path into the engine's sources, no build script, no module compiled from
//! another path, no source included as code; and `nn` keeps forbidding `unsafe` code, so the
//! compiler guards that too.

use std::path::Path;

#[test]
fn nn_reaches_the_engine_only_as_a_dependency() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.lines().any(|l| l.trim() == "autograd.workspace = true"),
        "nn must depend on autograd as `autograd.workspace = true`"
    );
    // The workspace's entry points at the engine's root: any other path could compile its
    // private sources into nn.
    let risky: Vec<&str> = manifest
        .lines()
        .filter(|l| l.contains("path") || l.contains("build"))
        .collect();
    assert!(
        risky.is_empty(),
        "Cargo.toml: {risky:?}: nn has no path dependencies and no build script"
    );
    assert!(!root.join("build.rs").exists(), "nn has no build script");

    let mut files = 0;
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            files += 1;
            for (i, line) in text.lines().enumerate() {
                for banned in ["#[path", "include!("] {
                    assert!(
                        !line.contains(banned),
                        "{}:{}: `{banned}` could compile another crate's sources into nn",
                        path.display(),
                        i + 1
                    );
                }
            }
        }
    }
    assert!(files > 5, "read only {files} source files of nn");
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("#![forbid(unsafe_code)]"),
        "nn/src/lib.rs keeps #![forbid(unsafe_code)]"
    );
}
