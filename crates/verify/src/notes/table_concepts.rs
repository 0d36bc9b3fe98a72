//! The note's claims about concepts: structure, activation functions, losses and the chain
//! rule. Each quotes the original verbatim (`zh`); whether it holds is never written here.

use super::claims::{activation, derivative, Claim, Formula, Measure, NoteSays, SectionSpec};
use super::judge::{Cond, Op, Rule};
use super::render::Say;
use nn::Activation;

const fn at_most(name: &'static str, fact: &'static str, tol: f64) -> Cond {
    Cond::new(name, fact, Op::Le, tol)
}

/// The engine computes the note's expression to the last bit, or nearly (1e-15).
const EXACT: Rule = Rule::All(&[at_most("exact", "worst", 1e-15)]);

/// The note's formula of one neuron with activation `h`, against nn's neuron.
const fn neuron(en: &'static str, zh: &'static [&'static str], note: &'static str, h: Activation) -> Claim {
    Claim {
        en,
        zh,
        zh_aside: "",
        note: NoteSays::Text(note),
        measure: Measure::NeuronFormula(h),
        rule: EXACT,
        engine: Say::same("nn's Neuron vs the formula at 20 inputs: max difference {=worst:.1e}"),
        detail: Say::by(
            "the neuron computes exactly this expression",
            "the neuron differs from this expression by up to {=worst:.1e}",
        ),
    }
}

pub(crate) const STRUCTURE: SectionSpec = SectionSpec {
    title: "Structure",
    title_zh: "全连接神经网络的整体结构",
    claims: &[
        Claim {
            en: "a digit classifier's output layer has one neuron per class",
            zh: &["输出层的神经元数目等于任务的类别数。例如,在数字分类任务中,输出层有10个神经元(分别代表0到9这10个数字)"],
            zh_aside: "",
            note: NoteSays::Text("10 output neurons (digits 0-9)"),
            measure: Measure::DigitClasses,
            rule: Rule::All(&[
                Cond::new("ten_classes", "classes", Op::Eq, 10.0),
                Cond::new("ten_outputs", "outputs", Op::Eq, 10.0),
            ]),
            engine: Say::same("the digits data has {=classes} classes; a 64-16-{=classes} network gives {=outputs} outputs"),
            detail: Say::by(
                "classes found in the data: {=class_list}",
                "not the note's ten: {?ten_classes}ten classes{:}{=classes} classes{/} found in the data \
                 ({=class_list}), {?ten_outputs}ten outputs{:}{=outputs} outputs{/}",
            ),
        },
        neuron(
            "without h, a neuron is linear regression",
            &["若隐去h() , w ∗ x + b w*x+b wx+b 就是线性回归模型的函数表达式"],
            "a = w*x + b",
            Activation::Identity,
        ),
        neuron(
            "with h = sigmoid, a neuron is logistic regression",
            &["若 h() 是 sigmod 函数,则变成逻辑回归模型的函数表达式"],
            "a = sigmoid(w*x + b)",
            Activation::Sigmoid,
        ),
        Claim {
            en: "without activations, any number of layers is a linear function of the input",
            zh: &["如果不用激活函数,每一层输出都是上层输入的线性函数,无论神经网络有多少层,最终的输出都是输入的线性组合"],
            zh_aside: "",
            note: NoteSays::Text("the output is a linear combination of the inputs"),
            measure: Measure::LayersLinear,
            rule: Rule::All(&[
                Cond::new("linear", "lin", Op::Eq, 0.0),
                Cond::new("curved", "sig", Op::Gt, 0.0),
            ]),
            engine: Say::same(
                "largest second derivative of a 3-4-4-1 network: {=lin:.1e} without activations, {=sig:.2e} with sigmoid",
            ),
            detail: Say::by(
                "a zero Hessian means the output is linear in the input; the activation makes it non-linear",
                "{?linear}without activations the Hessian is zero, so the output is linear in the input{:}without \
                 activations the Hessian is not zero, so the output is not linear in the input{/}; {?curved}the \
                 activation makes it non-linear{:}with sigmoid the Hessian is zero too{/}",
            ),
        },
    ],
};

const SIGMOID: &[&str] = &["y=\\frac{1}{1+e^{-z}}\\Rightarrow y'=y(1-y)"];
const TANH: &[&str] = &["y=\\frac{e^z-e^{-z}}{e^z+e^{-z}}\\Rightarrow y'=1-y^2"];
const RELU: &[&str] =
    &["y= \\begin{cases} z & z>0 \\\\ 0 & z\\leq0 \\\\ \\end{cases} \\Rightarrow y'= \\begin{cases} 1 & z>0 \\\\ 0 & z\\leq0 \\\\ \\end{cases}"];
const LEAKY: &[&str] =
    &["y= \\begin{cases} z & z>0 \\\\ az & z\\leq0 \\\\ \\end{cases} \\Rightarrow y'= \\begin{cases} 1 & z>0 \\\\ a & z\\leq0 \\\\ \\end{cases}"];
/// The note's LeakyReLU with slope `a` below 0, or (`derivative`) its derivative.
const fn leaky(en: &'static str, aside: &'static str, a: f64, derivative: bool) -> Claim {
    let (note, formula) = if derivative {
        (
            "y' = 1 if z > 0, a if z <= 0",
            Formula::Piecewise {
                above: "1",
                below: "a",
            },
        )
    } else {
        (
            "y = z if z > 0, a z if z <= 0",
            Formula::Piecewise {
                above: "z",
                below: "a*z",
            },
        )
    };
    activation(
        en,
        (LEAKY, aside),
        note,
        Activation::LeakyRelu(a),
        derivative,
        30.0,
        formula,
    )
}
const SOFTMAX: &[&str] = &["y_i=\\frac{e^{z_i}}{\\sum_j e^{z_j}}\\Rightarrow y_i'=y_i(1-y_i)"];

pub(crate) const ACTIVATIONS: SectionSpec = SectionSpec {
    title: "Activation functions",
    title_zh: "激活函数",
    claims: &[
        activation(
            "sigmoid",
            (SIGMOID, "y"),
            "y = 1 / (1 + e^-z)",
            Activation::Sigmoid,
            false,
            30.0,
            Formula::Expr("1 / (1 + exp(-z))"),
        ),
        activation(
            "sigmoid's derivative",
            (SIGMOID, "y'"),
            "y' = y(1 - y)",
            Activation::Sigmoid,
            true,
            30.0,
            Formula::Expr("y * (1 - y)"),
        ),
        Claim {
            en: "sigmoid's outputs lie in (0, 1)",
            zh: &["输出区间为 (0,1),方便观察输出是否符合预期"],
            zh_aside: "",
            note: NoteSays::Text("(0, 1)"),
            measure: Measure::SigmoidRange,
            rule: Rule::All(&[
                Cond::new("inside", "lo", Op::Gt, 0.0),
                Cond::new("inside", "hi", Op::Lt, 1.0),
            ]),
            engine: Say::same("over z in [-30, 30]: min {=lo:.3e}, max {=hi}"),
            detail: Say::by(
                "in f64, sigmoid(z) rounds to exactly 1 once z > 36.7",
                "an output reached the end of (0, 1): in f64, sigmoid(z) rounds to exactly 1 once z > 36.7",
            ),
        },
        Claim {
            en: "sigmoid suffers from vanishing gradients in backprop",
            zh: &["反向传播训练时有梯度消失的问题"],
            zh_aside: "Sigmoid",
            note: NoteSays::Text("gradient vanishing"),
            measure: Measure::SigmoidVanishing,
            rule: Rule::All(&[
                Cond::new("quarter", "max_slope", Op::Le, 0.25),
                Cond::new("vanishes", "chain", Op::Lt, 1e-5),
            ]),
            engine: Say::same(
                "max sigmoid'(z) = {=max_slope} (at z = 0); gradient through 10 stacked sigmoids at 0: {=chain:.3e}",
            ),
            detail: Say::by(
                "each sigmoid multiplies the gradient by at most 1/4",
                "{?quarter}each sigmoid multiplies the gradient by at most 1/4{:}a sigmoid slope exceeded 1/4{/}, \
                 {?vanishes}and ten of them shrink it below 1e-5{:}yet through ten of them it stays above 1e-5{/}",
            ),
        },
        activation(
            "tanh",
            (TANH, "y"),
            "y = (e^z - e^-z) / (e^z + e^-z)",
            Activation::Tanh,
            false,
            20.0,
            Formula::Expr("(exp(z) - exp(-z)) / (exp(z) + exp(-z))"),
        ),
        activation(
            "tanh's derivative",
            (TANH, "y'"),
            "y' = 1 - y^2",
            Activation::Tanh,
            true,
            20.0,
            Formula::Expr("1 - y^2"),
        ),
        Claim {
            en: "tanh's range",
            zh: &["可以看出 Tanh 函数的取值范围为 [-1,1]"],
            zh_aside: "",
            note: NoteSays::Text("[-1, 1]"),
            measure: Measure::TanhRange,
            rule: Rule::All(&[
                Cond::new("inside", "lo", Op::Ge, -1.0),
                Cond::new("inside", "hi", Op::Le, 1.0),
            ]),
            engine: Say::same("over z in [-30, 30]: min {=lo}, max {=hi}"),
            detail: Say::by(
                "every value lies in [-1, 1]; mathematically the range is the open interval (-1, 1) \
                 ({?open}|tanh| < 1 for |z| <= 5{:}yet |tanh| reached 1 for |z| <= 5{/}), and +-1 appears only because \
                 f64 rounds tanh(z) for |z| > 19",
                "a value lies outside [-1, 1]: min {=lo}, max {=hi}",
            ),
        },
        activation(
            "ReLU",
            (RELU, "y"),
            "y = z if z > 0, 0 if z <= 0",
            Activation::Relu,
            false,
            30.0,
            Formula::Piecewise { above: "z", below: "0" },
        ),
        activation(
            "ReLU's derivative (at 0 the engine uses PyTorch's convention, 0)",
            (RELU, "y'"),
            "y' = 1 if z > 0, 0 if z <= 0",
            Activation::Relu,
            true,
            30.0,
            Formula::Piecewise { above: "1", below: "0" },
        ),
        Claim {
            en: "ReLU's derivative is 1 for z > 0, so the chain rule's product does not vanish",
            zh: &["在X > 0 时,由于导数为 1,链式法则连乘也不会导致梯度消失,解决了梯度消失的问题"],
            zh_aside: "",
            note: NoteSays::Text("no vanishing gradient for x > 0"),
            measure: Measure::ReluChain,
            rule: Rule::All(&[Cond::new("ones", "chain", Op::Eq, 1.0)]),
            engine: Say::same("gradient through 10 stacked ReLUs at 0.7: {=chain}"),
            detail: Say::by("a product of ones", "the product of the ten slopes is {=chain}, not 1"),
        },
        Claim {
            en: "a large learning rate can kill a ReLU neuron for good (W = W - alpha W'); a small rate or LeakyReLU avoids it",
            zh: &[
                "大的学习率会导致一些神经元永久性死亡,无法激活(可通过设置小学习率部分解决)",
                "解决了 ReLU 函数会杀死一部分神经元的情况",
            ],
            zh_aside: "",
            note: NoteSays::Text("dead neurons with a large alpha; LeakyReLU keeps them alive"),
            measure: Measure::DeadRelu,
            rule: Rule::All(&[
                Cond::new("dead", "big1", Op::Lt, 0.0),
                Cond::vs("dead", "big100", Op::Eq, "big1"),
                Cond::new("dead", "big_g", Op::Eq, 0.0),
                Cond::new("small_alive", "small100", Op::Gt, 0.0),
                Cond::new("leaky_alive", "leaky_g", Op::Ne, 0.0),
                Cond::vs("leaky_alive", "leaky100", Op::Ne, "leaky1"),
            ]),
            engine: Say::same(
                "ReLU, alpha 10: w x + b = {=big1} after one step, {=big100} after 100, gradient {=big_g}; ReLU, alpha 0.1: \
                 w x + b = {=small100} after 100 steps; LeakyReLU(0.01), alpha 10: w x + b = {=leaky1} after one step, \
                 {=leaky100} after 100, gradient {=leaky_g}",
            ),
            detail: Say::by(
                "one neuron a = h(w x + b), x = 1, w = 0.5, b = 0, loss 1/2 (a - 0.2)^2: alpha 10 overshoots to a negative \
                 pre-activation where relu's gradient is exactly 0 (dead); alpha 0.1 stays active (alive); LeakyReLU still \
                 moves (alive)",
                "one neuron a = h(w x + b), x = 1, w = 0.5, b = 0, loss 1/2 (a - 0.2)^2: alpha 10 {?dead}leaves the ReLU \
                 neuron dead{:}does not leave the ReLU neuron dead with gradient 0{/}; alpha 0.1 {?small_alive}keeps it \
                 active{:}does not keep it active{/}; LeakyReLU {?leaky_alive}still moves{:}is stuck too{/}",
            ),
        },
        leaky("LeakyReLU with a = 0.01", "y, a = 0.01", 0.01, false),
        leaky("LeakyReLU's derivative with a = 0.01", "y', a = 0.01", 0.01, true),
        leaky("LeakyReLU with a = 0.2", "y, a = 0.2", 0.2, false),
        leaky("LeakyReLU's derivative with a = 0.2", "y', a = 0.2", 0.2, true),
        Claim {
            en: "softmax",
            zh: SOFTMAX,
            zh_aside: "y_i",
            note: NoteSays::Text("y_i = e^{z_i} / sum_j e^{z_j}"),
            measure: Measure::Softmax,
            rule: EXACT,
            engine: Say::same(
                "max difference from the formula {=worst:.1e} (the engine subtracts the max first, so it also works at z = 1000)",
            ),
            detail: Say::by(
                "{=vectors} input vectors of 3 to 5 entries",
                "the engine differs from the formula by up to {=worst:.1e} on {=vectors} input vectors of 3 to 5 entries",
            ),
        },
        Claim {
            en: "softmax's outputs lie in [0, 1] and sum to 1",
            zh: &["SoftMax 函数的值域是在 [0,1] 之间的", "这三个类别对应的概率相加最终的结果为 1"],
            zh_aside: "",
            note: NoteSays::Text("[0, 1], sum 1"),
            measure: Measure::SoftmaxRange,
            rule: Rule::All(&[Cond::flag("inside", "in_range"), at_most("sums", "worst_sum", 1e-15)]),
            engine: Say::same("all outputs in [0, 1]: {=in_range}; largest |sum - 1| = {=worst_sum:.1e}"),
            detail: Say::by(
                "checked on the same vectors",
                "on the same vectors, {?inside}every output lies in [0, 1]{:}an output lies outside [0, 1]{/} and \
                 {?sums}the outputs sum to 1{:}a sum is off by {=worst_sum:.1e}{/}",
            ),
        },
        Claim {
            en: "softmax's derivative",
            zh: SOFTMAX,
            zh_aside: "y_i'",
            note: NoteSays::Text("y_i' = y_i (1 - y_i)"),
            measure: Measure::SoftmaxJacobian,
            rule: super::claims::EVERY_POINT,
            engine: Say::same(
                "Jacobians of 3 vectors: the {=diagonal.n} diagonal entries dy_i/dz_i {?diagonal.all}all equal{:}do not \
                 all equal{/} y_i (1 - y_i); {=off-diagonal.bad} of the {=off-diagonal.n} off-diagonal entries dy_i/dz_j \
                 are nonzero (largest {=largest})",
            ),
            detail: Say {
                holds: "y_i (1 - y_i) is every entry of the Jacobian: the diagonal, and 0 off it, at every vector tested",
                partly: "{?diagonal.all}holds for dy_i/dz_i only{:}holds at {=agree} of {=n} entries{/}; for i != j the \
                         derivative is dy_i/dz_j = -y_i y_j (engine {=largest}, -y_i y_j = {=largest_formula}), which the \
                         formula omits. The full derivative is dy_i/dz_j = y_i (delta_ij - y_j)",
                fails: "y_i (1 - y_i) matches none of the {=n} entries of the Jacobian; the full derivative is dy_i/dz_j \
                        = y_i (delta_ij - y_j)",
            },
        },
    ],
};

pub(crate) const LOSSES: SectionSpec = SectionSpec {
    title: "Loss functions",
    title_zh: "损失函数",
    claims: &[
        Claim {
            en: "mean squared error with the 1/2",
            zh: &["均方差损失函数", "J(x)=\\frac{1}{2m}\\sum_{i=1}^m(f(x_i)-y_i)^2"],
            zh_aside: "",
            note: NoteSays::Text("J = 1/(2m) sum_i (f(x_i) - y_i)^2"),
            measure: Measure::Mse,
            rule: EXACT,
            engine: Say::same("nn::loss::mse_half vs the formula for m = 1..5: max difference {=worst:.1e}"),
            detail: Say::by(
                "the 1/2 makes dJ/df = (f - y)/m; PyTorch's MSELoss has no 1/2",
                "nn's mse_half differs from the note's formula by up to {=worst:.1e}",
            ),
        },
        Claim {
            en: "binary cross-entropy of the logistic model",
            zh: &[
                "交叉熵损失函数",
                "J(x)=-\\frac {1}{m}\\sum_{i=1}^{m}[y_i\\log \\sigma(w^Tx_i+b)+(1-y_i)\\log (1-\\sigma(w^Tx_i+b))]",
            ],
            zh_aside: "",
            note: NoteSays::Text("J = -1/m sum_i [y_i log s_i + (1 - y_i) log(1 - s_i)], s_i = sigmoid(w^T x_i + b)"),
            measure: Measure::Bce,
            rule: Rule::All(&[at_most("exact", "worst", 1e-14)]),
            engine: Say::same(
                "nn::loss::bce_with_logits vs the formula for m = 1..5: max relative difference {=worst:.1e}",
            ),
            detail: Say::by(
                "the engine computes it from the logits, so it stays finite where sigmoid rounds to 0 or 1",
                "nn's bce_with_logits differs from the note's formula by up to {=worst:.1e} (relative)",
            ),
        },
    ],
};

const SINGLE: &str = "z = u^2; u = 2 - y; y = 4*x";
const MULTI: &str = "z = u^2 + v^3; u = 2 - y; v = 4 + y; y = 4*x";
const SINGLE_STEPS: &[&str] = &["&=2u\\times(-1)\\times4\\\\ &=-8u"];
const MULTI_STEPS: &[&str] = &["&= 2u\\times(-1)\\times4+3v^2\\times1\\times4\\\\ &= -8u+12v^2"];

pub(crate) const CHAIN_RULE: SectionSpec = SectionSpec {
    title: "Chain rule",
    title_zh: "链式法则",
    claims: &[
        derivative(
            "single variable, local factor dz/du",
            SINGLE_STEPS,
            "dz/du = 2u",
            "z = u^2",
            "u",
            "2*u",
        ),
        derivative(
            "single variable, local factor du/dy",
            SINGLE_STEPS,
            "du/dy = -1",
            "u = 2 - y",
            "y",
            "-1",
        ),
        derivative(
            "single variable, local factor dy/dx",
            SINGLE_STEPS,
            "dy/dx = 4",
            "y = 4*x",
            "x",
            "4",
        ),
        derivative(
            "single variable: 2u * (-1) * 4",
            SINGLE_STEPS,
            "",
            SINGLE,
            "x",
            "-8*u",
        ),
        derivative(
            "single variable, in x",
            &["&=-8\\times(2-4x)\\\\ &=32x-16"],
            "",
            SINGLE,
            "x",
            "32*x - 16",
        ),
        derivative(
            "several variables, local factor dz/dv",
            MULTI_STEPS,
            "dz/dv = 3v^2",
            "z = u^2 + v^3",
            "v",
            "3*v^2",
        ),
        derivative(
            "several variables, local factor dv/dy",
            MULTI_STEPS,
            "dv/dy = 1",
            "v = 4 + y",
            "y",
            "1",
        ),
        derivative(
            "several variables: 2u(-1)4 + 3v^2(1)4",
            MULTI_STEPS,
            "",
            MULTI,
            "x",
            "-8*u + 12*v^2",
        ),
        derivative(
            "several variables, in x",
            &["\\frac{\\partial z}{\\partial x} = 192x^2+542x+176"],
            "",
            MULTI,
            "x",
            "192*x^2 + 542*x + 176",
        ),
    ],
};
