//! The primitive ops a tape records. Each has a forward kernel and one derivative rule, written
//! side by side in `ops/` (the rule in terms of these same primitives). Composite ops (mean,
//! softmax, logsumexp, ...) are built from primitives and need no rule of their own.

/// Which comparison produced a mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Cmp {
    /// Whether `x cmp y` (false when either is NaN, except for `Ne`).
    #[inline]
    pub(crate) fn holds<T: PartialOrd>(self, x: T, y: T) -> bool {
        match self {
            Cmp::Gt => x > y,
            Cmp::Ge => x >= y,
            Cmp::Lt => x < y,
            Cmp::Le => x <= y,
            Cmp::Eq => x == y,
            Cmp::Ne => x != y,
        }
    }
}

/// A recorded primitive. Axis sets are bit masks; list arguments live in the tape's `aux` list.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Op {
    Leaf,
    // Elementwise, one input.
    Neg,
    Exp,
    Ln,
    Sqrt,
    Powf(f64),
    Abs,
    Sign,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    LeakyRelu(f64),
    Softplus,
    Recip,
    /// Bounds `[lo, hi]` at `consts[c]`, `consts[c + 1]` (keeps `Op`, and so a node, small).
    Clamp {
        c: u32,
    },
    AddScalar(f64),
    MulScalar(f64),
    Compare(Cmp),
    // Elementwise, equal shapes (broadcasting happens before, through Expand).
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
    Where,
    // Reductions over an axis mask, keeping the reduced axes as size 1.
    Sum(u64),
    Max(u64),
    Min(u64),
    // Movement.
    Reshape,
    Permute {
        aux: u32,
    },
    Expand,
    Narrow {
        axis: u32,
        start: u32,
    },
    Pad {
        axis: u32,
        start: u32,
    },
    IndexSelect {
        axis: u32,
        aux: u32,
    },
    IndexAdd {
        axis: u32,
        aux: u32,
    },
    Gather {
        axis: u32,
        aux: u32,
    },
    ScatterAdd {
        axis: u32,
        aux: u32,
    },
    Concat {
        axis: u32,
    },
    Matmul {
        ta: bool,
        tb: bool,
    },
}

impl Op {
    /// The op's name as shown in DOT graphs and the ops table.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Op::Leaf => "leaf",
            Op::Neg => "neg",
            Op::Exp => "exp",
            Op::Ln => "ln",
            Op::Sqrt => "sqrt",
            Op::Powf(_) => "powf",
            Op::Abs => "abs",
            Op::Sign => "sign",
            Op::Sin => "sin",
            Op::Cos => "cos",
            Op::Tanh => "tanh",
            Op::Sigmoid => "sigmoid",
            Op::Relu => "relu",
            Op::LeakyRelu(_) => "leaky_relu",
            Op::Softplus => "softplus",
            Op::Recip => "recip",
            Op::Clamp { .. } => "clamp",
            Op::AddScalar(_) => "add_scalar",
            Op::MulScalar(_) => "mul_scalar",
            Op::Compare(c) => match c {
                Cmp::Gt => "gt",
                Cmp::Ge => "ge",
                Cmp::Lt => "lt",
                Cmp::Le => "le",
                Cmp::Eq => "eq",
                Cmp::Ne => "ne",
            },
            Op::Add => "add",
            Op::Sub => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Pow => "pow",
            Op::Maximum => "maximum",
            Op::Minimum => "minimum",
            Op::Where => "where",
            Op::Sum(_) => "sum",
            Op::Max(_) => "max",
            Op::Min(_) => "min",
            Op::Reshape => "reshape",
            Op::Permute { .. } => "permute",
            Op::Expand => "broadcast_to",
            Op::Narrow { .. } => "narrow",
            Op::Pad { .. } => "pad",
            Op::IndexSelect { .. } => "index_select",
            Op::IndexAdd { .. } => "index_add",
            Op::Gather { .. } => "gather",
            Op::ScatterAdd { .. } => "scatter_add",
            Op::Concat { .. } => "concat",
            Op::Matmul { .. } => "matmul",
        }
    }

    /// A short description of the op's constant arguments, for DOT labels (`consts`: the
    /// tape's constant table).
    pub(crate) fn args(&self, consts: &[f64]) -> Option<String> {
        match self {
            Op::Powf(c) => Some(format!("^{c}")),
            Op::LeakyRelu(a) => Some(format!("alpha={a}")),
            Op::Clamp { c } => {
                let (lo, hi) = (consts[*c as usize], consts[*c as usize + 1]);
                Some(format!("[{lo}, {hi}]"))
            }
            Op::AddScalar(c) => Some(format!("+{c}")),
            Op::MulScalar(c) => Some(format!("*{c}")),
            Op::Sum(m) | Op::Max(m) | Op::Min(m) => Some(format!("axes={}", mask_list(*m))),
            Op::Narrow { axis, start } | Op::Pad { axis, start } => {
                Some(format!("axis={axis}, start={start}"))
            }
            Op::IndexSelect { axis, .. }
            | Op::IndexAdd { axis, .. }
            | Op::Gather { axis, .. }
            | Op::ScatterAdd { axis, .. }
            | Op::Concat { axis } => Some(format!("axis={axis}")),
            Op::Matmul { ta, tb } if *ta || *tb => Some(format!("ta={ta}, tb={tb}")),
            _ => None,
        }
    }
}

fn mask_list(mask: u64) -> String {
    let axes: Vec<String> = (0..64)
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| i.to_string())
        .collect();
    format!("[{}]", axes.join(","))
}
