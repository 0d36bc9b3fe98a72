//! `graph --format svg` and `trace --format svg`: well-formed XML, one text per node holding
//! its label, one box per node and no two boxes overlapping, operand positions on the edges
//! into sub, div and pow, and the same nodes as the DOT output.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_chainrule"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("UTF-8"),
        String::from_utf8(out.stderr).expect("UTF-8"),
    )
}

/// An element: its name, attributes and the character data directly inside it, in order, with
/// its children.
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn attr(&self, name: &str) -> &str {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("<{}> has no {name}", self.name))
    }

    fn num(&self, name: &str) -> f64 {
        self.attr(name).parse().expect("a number")
    }

    /// Every element below this one (depth first), this one first.
    fn all(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.all());
        }
        out
    }

    /// The character data of this element and its descendants, children's joined by `|`.
    fn lines(&self) -> Vec<String> {
        self.children.iter().map(|c| c.text.clone()).collect()
    }
}

/// A small XML reader, strict about what SVG output needs: one root element, tags nested and
/// closed in order, attribute values quoted, only the five predefined entities, nothing after
/// the root. Panics with the offset of the first fault.
fn parse_xml(src: &str) -> Element {
    fn unescape(s: &str, at: usize) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let end = rest[i..]
                .find(';')
                .unwrap_or_else(|| panic!("unterminated entity at {at}"));
            out.push(match &rest[i..i + end + 1] {
                "&amp;" => '&',
                "&lt;" => '<',
                "&gt;" => '>',
                "&quot;" => '"',
                "&apos;" => '\'',
                e => panic!("unknown entity {e} at {at}"),
            });
            rest = &rest[i + end + 1..];
        }
        out.push_str(rest);
        out
    }
    let b = src.as_bytes();
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' {
            let end = src[i..]
                .find('>')
                .unwrap_or_else(|| panic!("unclosed tag at {i}"))
                + i;
            let tag = &src[i + 1..end];
            assert!(root.is_none(), "content after the root element at {i}");
            if let Some(name) = tag.strip_prefix('/') {
                let e = stack.pop().unwrap_or_else(|| panic!("stray </{name}> at {i}"));
                assert_eq!(e.name, name, "</{name}> closes <{}> at {i}", e.name);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(e),
                    None => root = Some(e),
                }
            } else {
                let self_closing = tag.ends_with('/');
                let tag = tag.trim_end_matches('/');
                let (name, mut rest) = tag.split_once(' ').unwrap_or((tag, ""));
                assert!(
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                    "bad tag name {name:?} at {i}"
                );
                let mut attrs = Vec::new();
                loop {
                    rest = rest.trim_start();
                    if rest.is_empty() {
                        break;
                    }
                    let (key, after) = rest
                        .split_once("=\"")
                        .unwrap_or_else(|| panic!("unquoted attribute in <{name}> at {i}: {rest}"));
                    let close = after
                        .find('"')
                        .unwrap_or_else(|| panic!("unterminated value at {i}"));
                    let value = &after[..close];
                    assert!(!value.contains('<'), "'<' in an attribute at {i}");
                    let key = key.trim();
                    assert!(
                        !attrs.iter().any(|(k, _): &(String, String)| k == key),
                        "duplicate {key} at {i}"
                    );
                    attrs.push((key.to_string(), unescape(value, i)));
                    rest = &after[close + 1..];
                }
                let e = Element {
                    name: name.to_string(),
                    attrs,
                    text: String::new(),
                    children: Vec::new(),
                };
                if self_closing {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(e),
                        None => root = Some(e),
                    }
                } else {
                    stack.push(e);
                }
            }
            i = end + 1;
        } else {
            let end = src[i..].find('<').map_or(b.len(), |j| i + j);
            let text = &src[i..end];
            match stack.last_mut() {
                Some(e) => e.text.push_str(&unescape(text, i)),
                None => assert!(text.trim().is_empty(), "text outside the root at {i}"),
            }
            i = end;
        }
    }
    assert!(
        stack.is_empty(),
        "unclosed <{}>",
        stack.last().map_or("", |e| e.name.as_str())
    );
    root.expect("a root element")
}

/// Checks a drawing against the DOT of the same graph; returns the node boxes' labels (the
/// lines of each node's text) and the operand labels on edges.
fn check_drawing(svg: &str, dot: &str) -> (Vec<Vec<String>>, Vec<String>) {
    let root = parse_xml(svg);
    assert_eq!(root.name, "svg");
    let (width, height) = (root.num("width"), root.num("height"));
    let all = root.all();
    let boxes: Vec<(f64, f64, f64, f64)> = all
        .iter()
        .filter(|e| e.name == "rect" && e.attrs.iter().any(|(k, v)| k == "class" && v.starts_with("node")))
        .map(|e| (e.num("x"), e.num("y"), e.num("width"), e.num("height")))
        .collect();
    let texts: Vec<&Element> = all
        .iter()
        .filter(|e| e.name == "text" && !e.attrs.iter().any(|(k, _)| k == "class"))
        .copied()
        .collect();
    let operands: Vec<String> = all
        .iter()
        .filter(|e| e.name == "text" && e.attrs.iter().any(|(k, v)| k == "class" && v == "operand"))
        .map(|e| e.text.clone())
        .collect();
    // The DOT's nodes, in order, with their labels' lines.
    let dot_labels: Vec<Vec<String>> = dot
        .lines()
        .filter_map(|l| {
            l.split_once("[label=\"")
                .filter(|(n, _)| n.trim().starts_with('n') && !n.contains("->"))
        })
        .map(|(_, rest)| {
            rest.split('"')
                .next()
                .unwrap()
                .split("\\n")
                .map(str::to_string)
                .collect()
        })
        .collect();
    assert!(!dot_labels.is_empty());
    assert_eq!(boxes.len(), dot_labels.len(), "one box per node");
    assert_eq!(texts.len(), dot_labels.len(), "one <text> per node label");
    let labels: Vec<Vec<String>> = texts.iter().map(|t| t.lines()).collect();
    assert_eq!(
        labels, dot_labels,
        "each text holds its node's label, line by line"
    );
    // The same operand labels as the DOT, and each text inside its box.
    let mut dot_operands: Vec<String> = dot
        .lines()
        .filter(|l| l.contains(" -> "))
        .filter_map(|l| {
            l.split_once("[label=\"")
                .map(|(_, r)| r.split('"').next().unwrap().to_string())
        })
        .collect();
    let mut sorted = operands.clone();
    sorted.sort();
    dot_operands.sort();
    assert_eq!(sorted, dot_operands, "the DOT's operand labels");
    for (t, &(x, y, w, h)) in texts.iter().zip(&boxes) {
        let (tx, ty) = (t.num("x"), t.num("y"));
        assert!(
            tx > x && tx < x + w && ty >= y && ty < y + h,
            "text at ({tx}, {ty}) in {x},{y},{w},{h}"
        );
        let longest = t.lines().iter().map(|l| l.chars().count()).max().unwrap() as f64;
        // Monospace 12px: about 7.2 px a character; the box leaves room for it.
        assert!(w >= longest * 7.2, "box width {w} for {longest} characters");
        assert!(h >= t.lines().len() as f64 * 15.0, "box height {h}");
    }
    for (i, a) in boxes.iter().enumerate() {
        assert!(
            a.0 >= 0.0 && a.1 >= 0.0 && a.0 + a.2 <= width && a.1 + a.3 <= height,
            "box {i} inside the picture"
        );
        for (j, b) in boxes.iter().enumerate().skip(i + 1) {
            let apart = a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
            assert!(apart, "boxes {i} {a:?} and {j} {b:?} overlap");
        }
    }
    (labels, operands)
}

#[test]
fn graph_svg_draws_every_node_once_without_overlap() {
    let cases: &[(&str, &str)] = &[
        ("z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x", "x=1"),
        ("y = sigmoid(0.5*x + 0.5)", "x=1"),
        ("f = (a - b)/(b - a + 3)^c; g = f*f", "a=1,b=2,c=2"),
        ("y = x*x - x/x + x^x", "x=1.5"),
        // Long edges: x is used at every depth.
        (
            "a1 = x*x; a2 = a1 + x; a3 = a2*x; a4 = sin(a3) - x; a5 = a4/x",
            "x=0.7",
        ),
    ];
    for (system, at) in cases {
        let (code, svg, err) = run(&["graph", system, "--at", at, "--format", "svg"]);
        assert_eq!(code, 0, "{system}: {err}");
        let (_, dot, _) = run(&["graph", system, "--at", at]);
        check_drawing(&svg, &dot);
    }
    // u = 2 - y: the constant 2 is operand 1 and y operand 2, in the DOT and in the drawing.
    let (_, svg, _) = run(&["graph", "u = 2 - y", "--at", "y=3", "--format", "svg"]);
    let (_, dot, _) = run(&["graph", "u = 2 - y", "--at", "y=3", "--format", "dot"]);
    assert!(
        dot.contains("  n1 -> n2 [label=\"1\"];\n  n0 -> n2 [label=\"2\"];"),
        "{dot}"
    );
    let (labels, operands) = check_drawing(&svg, &dot);
    assert_eq!(operands, ["1", "2"]);
    assert_eq!(labels[2], ["u = sub", "value -1", "grad 1"]);
    // Names with XML's special characters cannot occur, but values print as given: still
    // well-formed with a 300-digit magnitude.
    let (_, svg, _) = run(&["graph", "y = x*1e300", "--at", "x=-5", "--format", "svg"]);
    parse_xml(&svg);
}

#[test]
fn trace_svg_draws_the_loss_graph_at_the_traced_values() {
    for args in [
        &["trace", "--format", "svg"][..],
        &["trace", "--set", "w11=0.8", "--format", "svg"],
        &["trace", "--layers", "2,3,1", "--format", "svg"],
    ] {
        let (code, svg, err) = run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        let root = parse_xml(&svg);
        let boxes = root
            .all()
            .iter()
            .filter(|e| {
                e.name == "rect" && e.attrs.iter().any(|(k, v)| k == "class" && v.starts_with("node"))
            })
            .count();
        assert!(boxes >= 16, "{args:?}: {boxes}");
    }
    // The note's network at its values: the same graph as `graph` draws of J.
    let note = "a11 = sigmoid(x1*w11 + b1); a21 = relu(a11*w21 + b2); y = a21; J = 1/2*(y - label)^2";
    let at = "w11=0.5,w21=1,b1=0.5,b2=1,x1=1,label=2";
    let (_, svg, _) = run(&["trace", "--format", "svg"]);
    let (_, dot, _) = run(&["graph", note, "--at", at]);
    let (labels, operands) = check_drawing(&svg, &dot);
    assert!(
        labels
            .iter()
            .any(|l| l == &["w11", "value 0.5", "grad -0.052877"]),
        "{labels:?}"
    );
    // J = 1/2*(y - label)^2: the sub has ordered operands (1/2, of two constants, is a
    // constant itself, with no inputs drawn).
    assert_eq!(operands, ["1", "2"], "{operands:?}");
}

#[test]
fn a_graph_too_large_to_draw_is_refused_with_a_pointer_to_dot() {
    // 700 definitions of 3 nodes each: more than 2,000 nodes.
    let defs: Vec<String> = (1..=700).map(|i| format!("a{i} = sin(a{}) * 2", i - 1)).collect();
    let system = defs.join("; ");
    let (code, out, err) = run(&["graph", &system, "--at", "a0=1", "--format", "svg"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.starts_with("error: the graph has 2101 nodes"), "{err}");
    assert!(
        err.contains("too many to draw") && err.contains("use --format dot"),
        "{err}"
    );
    let (code, dot, _) = run(&["graph", &system, "--at", "a0=1"]);
    assert_eq!(code, 0);
    assert!(dot.starts_with("digraph"));
}
