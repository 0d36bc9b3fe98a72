//! [`Sequential`]: any modules applied one after the other, and its builder.
//!
//! The modules are boxed trait objects (`Box<dyn Module<T> + Send + Sync>`) rather than the
//! variants of an enum: an enum would be closed, while a module written outside the crate (a
//! residual block, an attention head) must sit in a `Sequential` like the built-in ones. The
//! cost, one virtual call per module per forward pass, is nothing beside the ops it records.

mod builder;
mod summary;

pub use builder::{Mlp, SequentialBuilder};
pub use summary::{Summary, SummaryRow};

use crate::bound::Bound;
use crate::module::{Module, ModuleSpec};
use crate::param::ParamId;
use autograd::{Float, Var};
use std::fmt;

/// A module in a [`Sequential`]: any [`Module`], boxed.
pub type BoxedModule<T> = Box<dyn Module<T> + Send + Sync>;

/// PyTorch's `nn.Sequential`: modules applied in order, each to the previous one's output.
///
/// Built with [`Sequential::builder`], which names the parameters as PyTorch does (`0.weight`,
/// `1.running_mean`, or `{prefix}.0.weight`) and draws every initialisation from one seed, or
/// from modules made by hand with [`Sequential::append`]. `{model:?}` prints it as PyTorch
/// prints a model, [`Sequential::summary`] as torchinfo does, and
/// [`checkpoint::save_sequential`](crate::checkpoint::save_sequential) saves it with the
/// description that rebuilds it.
///
/// ```
/// use chainrule::{Tape, Tensor};
/// use chainrule::nn::{Module, ParamStore, Sequential};
/// let mut ps = ParamStore::<f64>::new();
/// let model = Sequential::builder(&mut ps, 0)
///     .linear(3, 8)
///     .batch_norm1d(8)
///     .relu()
///     .dropout(0.2)
///     .linear(8, 2)
///     .build()
///     .unwrap();
/// assert_eq!(model.len(), 5);
/// assert!(ps.id("1.running_mean").is_some() && ps.id("4.weight").is_some());
/// let tape = Tape::new();
/// let y = model.forward(&ps.bind_eval(&tape), tape.constant(Tensor::ones(&[4, 3])));
/// assert_eq!(y.shape().as_slice(), &[4, 2]);
/// assert!(format!("{model:?}").starts_with("Sequential(\n  (0): Linear(in_features=3, out_features=8, bias=true)\n"));
/// ```
pub struct Sequential<T: Float = f64> {
    prefix: String,
    modules: Vec<BoxedModule<T>>,
}

impl<T: Float> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Float> Sequential<T> {
    /// An empty model (the identity).
    pub fn new() -> Self {
        Self {
            prefix: String::new(),
            modules: Vec::new(),
        }
    }

    /// The name prefix its builder was given (`""` for PyTorch's `0.weight`, or for a model
    /// made by hand).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Appends a module. Its parameters keep the names they were made with, so a model made
    /// by hand names them itself (`0.weight` for PyTorch's names).
    ///
    /// ```
    /// use chainrule::nn::{Linear, ParamStore, ReLU, Sequential};
    /// let mut ps = ParamStore::<f64>::new();
    /// let mut model = Sequential::<f64>::new();
    /// model.append(Linear::new(&mut ps, "0", 2, 4, 0).unwrap());
    /// model.append(ReLU);
    /// assert_eq!((model.len(), model.parameters().len()), (2, 2));
    /// ```
    pub fn append(&mut self, module: impl Module<T> + Send + Sync + 'static) {
        self.modules.push(Box::new(module));
    }

    /// Appends a boxed module.
    pub fn append_boxed(&mut self, module: BoxedModule<T>) {
        self.modules.push(module);
    }

    /// The number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether there is no module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The modules, in order.
    pub fn modules(&self) -> &[BoxedModule<T>] {
        &self.modules
    }

    /// Every module's parameters, in order (buffers excluded; the same as
    /// [`Module::parameters`], callable without naming the element type).
    pub fn parameters(&self) -> Vec<ParamId> {
        self.modules.iter().flat_map(|m| m.parameters()).collect()
    }

    /// Every module's description, in order (what a checkpoint stores).
    ///
    /// ```
    /// use chainrule::nn::{ParamStore, Sequential};
    /// let mut ps = ParamStore::<f32>::new();
    /// let model = Sequential::builder(&mut ps, 0).layer_norm(4).leaky_relu(0.2).build().unwrap();
    /// let kinds: Vec<String> = model.specs().iter().map(|s| s.kind().to_string()).collect();
    /// assert_eq!(kinds, ["LayerNorm", "LeakyReLU"]);
    /// assert_eq!((model.len(), model.modules().len(), model.prefix()), (2, 2, ""));
    /// ```
    pub fn specs(&self) -> Vec<ModuleSpec> {
        self.modules.iter().map(|m| m.spec()).collect()
    }
}

impl<T: Float> Module<T> for Sequential<T> {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        self.modules.iter().fold(x, |h, m| m.forward(p, h))
    }

    fn parameters(&self) -> Vec<ParamId> {
        Sequential::parameters(self)
    }

    fn replayable(&self) -> bool {
        self.modules.iter().all(|m| m.replayable())
    }

    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("Sequential").with("len", self.len())
    }
}

impl<T: Float> fmt::Debug for Sequential<T> {
    /// As PyTorch prints a model: one line per module, `(i): Spec(args)`; modules that are
    /// themselves `Sequential` are not expanded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modules.is_empty() {
            return write!(f, "Sequential()");
        }
        writeln!(f, "Sequential(")?;
        for (i, m) in self.modules.iter().enumerate() {
            writeln!(f, "  ({i}): {}", m.spec())?;
        }
        write!(f, ")")
    }
}
