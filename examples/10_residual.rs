//! A module written outside the crate: a pre-norm residual block,
//! `x + fc2(relu(fc1(layer_norm(x))))`, as a PyTorch user would subclass `nn.Module`.
//!
//! The block is a struct of built-in modules with a `forward` that composes them; nothing in it
//! is a derivative. It then behaves as the built-in modules do:
//!
//! - it sits in a `Sequential` (appended with `append_with`, which gives it its name prefix,
//!   so its parameters are `2.fc1.weight`, ... as in PyTorch, and a seed);
//! - it trains with `train::fit`;
//! - it prints in `{model:?}` and in the summary under its own name, with its arguments (its
//!   `Module::spec`);
//! - it is saved with `checkpoint::save_sequential` and rebuilt by `load_sequential_with`, whose
//!   resolver turns its description back into a block.
//!
//! Run with `cargo run --release --example 10_residual`.

use chainrule::nn::checkpoint;
use chainrule::nn::optim::Adam;
use chainrule::nn::train::{self, TrainConfig};
use chainrule::nn::{
    data, Bound, BoxedModule, LayerError, LayerNorm, Linear, Module, ModuleSpec, ParamId, ParamStore,
    Sequential,
};
use chainrule::{Float, Tape, Var};

/// `x + fc2(relu(fc1(norm(x))))` for inputs of `width` features, `hidden` units inside.
struct Residual {
    norm: LayerNorm,
    fc1: Linear,
    fc2: Linear,
    width: usize,
    hidden: usize,
}

impl Residual {
    fn new<T: Float>(
        ps: &mut ParamStore<T>,
        name: &str,
        width: usize,
        hidden: usize,
        seed: u64,
    ) -> Result<Self, LayerError> {
        Ok(Self {
            norm: LayerNorm::new(ps, &format!("{name}.norm"), width)?,
            fc1: Linear::new(ps, &format!("{name}.fc1"), width, hidden, seed)?,
            fc2: Linear::new(ps, &format!("{name}.fc2"), hidden, width, seed.wrapping_add(1))?,
            width,
            hidden,
        })
    }

    /// The block a checkpoint describes, if the description is one of this block.
    fn resolve<T: Float>(
        spec: &ModuleSpec,
        ps: &mut ParamStore<T>,
        name: &str,
        seed: u64,
    ) -> Option<Result<BoxedModule<T>, LayerError>> {
        if spec.kind() != "Residual" {
            return None;
        }
        let (width, hidden) = (spec.get("width").ok()?, spec.get("hidden").ok()?);
        Some(Residual::new(ps, name, width, hidden, seed).map(|m| Box::new(m) as BoxedModule<T>))
    }
}

impl<T: Float> Module<T> for Residual {
    fn forward<'t>(&self, p: &Bound<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let h = self.fc1.forward(p, self.norm.forward(p, x)).relu();
        x + self.fc2.forward(p, h)
    }

    fn parameters(&self) -> Vec<ParamId> {
        [
            Module::<T>::parameters(&self.norm),
            self.fc1.parameters(),
            self.fc2.parameters(),
        ]
        .concat()
    }

    /// What the summary prints and the checkpoint stores.
    fn spec(&self) -> ModuleSpec {
        ModuleSpec::new("Residual")
            .with("width", self.width)
            .with("hidden", self.hidden)
    }
}

fn main() {
    let spirals = data::spirals::<f64>(100, 3, 0.1, 0);
    let (train_set, test_set) = spirals.split(0.2, 0);
    let mut ps = ParamStore::<f64>::new();
    let model = Sequential::builder(&mut ps, 0)
        .linear(2, 32)
        .relu()
        .append_with(|ps, name, seed| Residual::new(ps, name, 32, 64, seed))
        .append_with(|ps, name, seed| Residual::new(ps, name, 32, 64, seed))
        .linear(32, 3)
        .build()
        .unwrap();
    println!("{model:?}\n");
    let summary = model.summary(&ps, 2);
    println!("{summary}\n");
    assert_eq!(summary.rows[2].kind, "Residual");
    assert_eq!(summary.rows[2].params, 2 * 32 + (32 * 64 + 64) + (64 * 32 + 32));
    assert!(
        ps.id("3.fc2.bias").is_some(),
        "PyTorch's names for the block's parameters"
    );

    let config = TrainConfig {
        epochs: 60,
        batch_size: 32,
        ..TrainConfig::default()
    };
    let history = train::fit(
        &model,
        &mut ps,
        &mut Adam::new(0.01),
        &train_set,
        Some(&test_set),
        &config,
        |_| {},
    );
    let last = history.last().unwrap();
    println!(
        "spirals (3 arms), {} epochs: train accuracy {:.3}, test accuracy {:.3}",
        history.len(),
        last.train_accuracy.unwrap(),
        last.test_accuracy.unwrap()
    );
    assert!(last.test_accuracy.unwrap() > 0.9, "{last:?}");

    let dir = std::env::temp_dir().join(format!("chainrule-residual-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("residual.safetensors");
    checkpoint::save_sequential(&model, &ps, &path, &Default::default()).unwrap();
    let err = checkpoint::load_sequential::<f64>(&path).unwrap_err().to_string();
    println!("\nwithout the resolver: {err}");
    assert!(
        err.ends_with("module 2: unknown module type \"Residual\""),
        "{err}"
    );
    let (again, loaded) = checkpoint::load_sequential_with(&path, &mut Residual::resolve).unwrap();
    assert_eq!(loaded, ps);
    assert_eq!(format!("{again:?}"), format!("{model:?}"));
    let predict = |m: &Sequential, p: &ParamStore<f64>| {
        let tape = Tape::new();
        m.forward(&p.bind_eval(&tape), tape.constant_from(&test_set.x))
            .value()
    };
    assert_eq!(predict(&again, &loaded), predict(&model, &ps));
    println!(
        "with it: the same model, the same {} test outputs",
        test_set.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
