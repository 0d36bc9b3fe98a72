//! The rule column of `docs/ops.md` for the elementwise families, checked against the code: the
//! rules of `unary.rs` and `binary.rs` are generic over [`Elem`], so running them on [`Sym`], an
//! `Elem` that writes expressions instead of computing, prints exactly what the code does, and
//! the test compares that with the table. Parameters (`c`, `a`, `lo`, `hi`) are passed as
//! sentinel numbers and renamed in the text.

use crate::op::{BinaryOp, Cmp, UnaryOp, F64};
use crate::ops::elem::Elem;
use crate::ops::{binary, unary};
use std::cell::RefCell;

/// Precedence: comparisons bind loosest (so they are parenthesised as operands, not as
/// arguments), then `+ -`, `* /`, a negation, and atoms (names, numbers, calls).
const CMP: u8 = 0;
const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const NEG: u8 = 3;
const ATOM: u8 = 4;

thread_local! {
    static EXPRS: RefCell<Vec<(String, u8)>> = const { RefCell::new(Vec::new()) };
}

/// An expression, by index into a thread-local list (an [`Elem`] must be `Copy`).
#[derive(Clone, Copy)]
struct Sym(usize);

impl Sym {
    fn new(text: String, prec: u8) -> Self {
        EXPRS.with(|e| {
            e.borrow_mut().push((text, prec));
            Sym(e.borrow().len() - 1)
        })
    }
    fn name(s: &str) -> Self {
        Sym::new(s.into(), ATOM)
    }
    fn get(self) -> (String, u8) {
        EXPRS.with(|e| e.borrow()[self.0].clone())
    }
    fn text(self) -> String {
        self.get().0
    }
    /// This expression as an operand that needs at least `prec`.
    fn operand(self, prec: u8) -> String {
        let (t, p) = self.get();
        if p < prec {
            format!("({t})")
        } else {
            t
        }
    }
    /// `self op other`, left-associative: the right operand of equal precedence is
    /// parenthesised, as the code evaluates it first.
    fn infix(self, op: &str, other: Sym, prec: u8) -> Self {
        Sym::new(
            format!("{} {op} {}", self.operand(prec), other.operand(prec + 1)),
            prec,
        )
    }
    fn call(name: &str, args: &[Sym]) -> Self {
        let args: Vec<String> = args.iter().map(|a| a.text()).collect();
        Sym::new(format!("{name}({})", args.join(", ")), ATOM)
    }
}

fn num(c: f64) -> Sym {
    Sym::new(format!("{c}"), if c < 0.0 { NEG } else { ATOM })
}

impl Elem for Sym {
    fn unary(self, op: UnaryOp) -> Self {
        match op {
            UnaryOp::Neg => Sym::new(format!("-{}", self.operand(ATOM)), NEG),
            UnaryOp::Powf(c) => Sym::new(format!("{}.powf({})", self.operand(ATOM), c.get()), ATOM),
            UnaryOp::AddScalar(c) if c.get() < 0.0 => self.infix("-", num(-c.get()), SUM),
            UnaryOp::AddScalar(c) => self.infix("+", num(c.get()), SUM),
            UnaryOp::MulScalar(c) => self.infix("*", num(c.get()), PRODUCT),
            UnaryOp::Exp
            | UnaryOp::Expm1
            | UnaryOp::Ln
            | UnaryOp::Log1p
            | UnaryOp::Sqrt
            | UnaryOp::Abs
            | UnaryOp::Sign
            | UnaryOp::Sin
            | UnaryOp::Cos
            | UnaryOp::Tanh
            | UnaryOp::Sigmoid
            | UnaryOp::Relu
            | UnaryOp::LeakyRelu(_)
            | UnaryOp::Softplus
            | UnaryOp::Recip
            | UnaryOp::Clamp { .. } => Sym::call(op.name(), &[self]),
        }
    }
    fn binary(self, other: Self, op: BinaryOp) -> Self {
        match op {
            BinaryOp::Add => self.infix("+", other, SUM),
            BinaryOp::Sub => self.infix("-", other, SUM),
            BinaryOp::Mul => self.infix("*", other, PRODUCT),
            BinaryOp::Div => self.infix("/", other, PRODUCT),
            BinaryOp::Pow => Sym::new(format!("{}.pow({})", self.operand(ATOM), other.text()), ATOM),
            BinaryOp::Maximum | BinaryOp::Minimum => Sym::call(op.name(), &[self, other]),
        }
    }
    fn compare(self, other: Self, cmp: Cmp) -> Self {
        let sym = match cmp {
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Eq => "==",
            Cmp::Ne => "!=",
        };
        Sym::new(format!("{} {sym} {}", self.operand(SUM), other.operand(SUM)), CMP)
    }
    fn select(self, on_true: Self, on_false: Self) -> Self {
        Sym::call("where", &[self, on_true, on_false])
    }
    fn constant(self, c: f64) -> Self {
        num(c)
    }
}

crate::ops::elem::elem_operators!(Sym);

/// Sentinels for the parameters, and the names they print as.
const C: f64 = 0.123;
const LO: f64 = 0.123;
const HI: f64 = 0.456;
const RENAME: [(&str, &str); 4] = [
    ("-0.877", "c - 1"),
    ("0.877", "(1 - a)"),
    ("0.123", "c"),
    ("0.456", "hi"),
];

fn unary_rule(op: UnaryOp, bounds: [f64; 2], rename: &[(&str, &str)]) -> String {
    let (g, x, y) = (Sym::name("g"), Sym::name("x"), Sym::name("y"));
    let mut text = unary::vjp(op, g, x, y, bounds).text();
    for (from, to) in rename {
        text = text.replace(from, to);
    }
    format!("`{text}`")
}

fn binary_rule(op: BinaryOp) -> String {
    let (g, a, b, y) = (Sym::name("g"), Sym::name("a"), Sym::name("b"), Sym::name("y"));
    let [da, db] = binary::vjp(op, g, a, b, y, [true, true]).map(|s| s.expect("both needed").text());
    format!("`{da}`; `{db}`")
}

/// The rule column of every primitive row of the two elementwise tables, by the row's name.
fn expected() -> Vec<(&'static str, String)> {
    let none = crate::ops::unary::NO_BOUNDS;
    let plain = |name, op| (name, unary_rule(op, none, &[]));
    let f = F64::new;
    let powf = |c| unary_rule(UnaryOp::Powf(f(c)), none, &RENAME);
    let mut rows = vec![
        plain("-x", UnaryOp::Neg),
        plain("exp", UnaryOp::Exp),
        plain("ln", UnaryOp::Ln),
        plain("log1p", UnaryOp::Log1p),
        plain("expm1", UnaryOp::Expm1),
        plain("sqrt", UnaryOp::Sqrt),
        (
            "powf(c)",
            format!(
                "{}; for `c = 0`: {}; for `c = 2`: {}",
                powf(C),
                powf(0.0),
                powf(2.0)
            ),
        ),
        plain("abs", UnaryOp::Abs),
        plain("sign", UnaryOp::Sign),
        plain("sin", UnaryOp::Sin),
        plain("cos", UnaryOp::Cos),
        plain("tanh", UnaryOp::Tanh),
        plain("sigmoid", UnaryOp::Sigmoid),
        plain("relu", UnaryOp::Relu),
        (
            "leaky_relu(a)",
            unary_rule(
                UnaryOp::LeakyRelu(f(C)),
                none,
                &[("0.877", "(1 - a)"), ("0.123", "a")],
            ),
        ),
        plain("softplus", UnaryOp::Softplus),
        plain("recip", UnaryOp::Recip),
        (
            "clamp(lo, hi)",
            unary_rule(
                UnaryOp::Clamp { c: 0 },
                [LO, HI],
                &[("0.123", "lo"), ("0.456", "hi")],
            ),
        ),
        (
            "add_scalar(c)",
            unary_rule(UnaryOp::AddScalar(f(C)), none, &RENAME),
        ),
        (
            "mul_scalar(c)",
            unary_rule(UnaryOp::MulScalar(f(C)), none, &RENAME),
        ),
    ];
    for (name, op) in [
        ("a + b", BinaryOp::Add),
        ("a - b", BinaryOp::Sub),
        ("a * b", BinaryOp::Mul),
        ("a / b", BinaryOp::Div),
        ("pow(a, b)", BinaryOp::Pow),
        ("maximum(a, b)", BinaryOp::Maximum),
        ("minimum(a, b)", BinaryOp::Minimum),
    ] {
        rows.push((name, binary_rule(op)));
    }
    rows
}

#[test]
fn the_elementwise_rules_of_docs_ops_md_are_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/ops.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let rows: Vec<Vec<&str>> = doc
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.split(" | ").collect())
        .collect();
    let mut wrong = Vec::new();
    for (name, rule) in expected() {
        let row = rows.iter().find(|r| r[0] == format!("| `{name}`"));
        match row {
            Some(r) if r[2].starts_with(&rule) => {}
            Some(r) => wrong.push(format!(
                "`{name}`: the table says {}\n  the code's rule is {rule}",
                r[2]
            )),
            None => wrong.push(format!("`{name}`: no row; the code's rule is {rule}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/ops.md, rule column:\n{}",
        wrong.join("\n")
    );
}
