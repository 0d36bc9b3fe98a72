//! The note's worked example: the forward pass, back propagation, the update, the second
//! forward pass and the closing sentence. Each claim quotes the original verbatim (`zh`);
//! whether it holds is never written here.

use super::claims::{gradient_formula, number, Claim, Measure, NoteSays, Pass, Quantity, SectionSpec};
use super::judge::{Cond, Op, Rule};
use super::render::Say;

const HIDDEN: &str = "sigmoid(x1*w11 + b1)";
const OUTPUT: &str = "relu(a11*w21 + b2)";
const STEP: &str = "w - lr*g";

pub(crate) const FORWARD: SectionSpec = SectionSpec {
    title: "Forward propagation (w11 = 0.5, w21 = 1, b1 = 0.5, b2 = 1, x1 = 1)",
    title_zh: "前向传播 (w11 = 0.5, w21 = 1, b1 = 0.5, b2 = 1, x1 = 1)",
    claims: &[
        number(
            "a11 = sigmoid(x1 w11 + b1)",
            &["a_{11}=sigmoid(1\\times0.5+0,5)=0.731"],
            "0.731",
            Some((HIDDEN, &[("x1", "1"), ("w11", "0.5"), ("b1", "0.5")])),
            Quantity::A11(Pass::First),
        ),
        number(
            "a21 = relu(a11 w21 + b2)",
            &["a_{21}=relu(0.731\\times+1)=1.731"],
            "1.731",
            Some((OUTPUT, &[("a11", "~0.731"), ("w21", "1"), ("b2", "1")])),
            Quantity::A21(Pass::First),
        ),
        number("y = a21", &["y=1.731"], "1.731", None, Quantity::A21(Pass::First)),
        Claim {
            en: "the two-input figure is a 2-2-1 sigmoid network",
            zh: &["a_{11}=sigmoid(x_1w_{11}+x_2W_{13}+b_1)\\\\ a_{12}=sigmoid(x_1w_{12}+x_2W_{14}+b_2)\\\\ a_{21}=sigmoid(a_{11}w_{21}+x_{12}W_{22}+b_3)"],
            zh_aside: "",
            note: NoteSays::Text(
                "a11 = sigmoid(x1 w11 + x2 w13 + b1), a12 = sigmoid(x1 w12 + x2 w14 + b2), a21 = sigmoid(a11 w21 + a12 w22 + b3)",
            ),
            measure: Measure::TwoInputFigure,
            rule: Rule::All(&[Cond::new("exact", "worst", Op::Le, 1e-15)]),
            engine: Say::same("nn's Mlp [2, 2, 1] with the same weights: max difference {=worst:.1e} at 10 inputs"),
            detail: Say::by(
                "hidden weight row j holds (w1j, w1(j+2)); the figure is x W^T + b",
                "with hidden weight row j holding (w1j, w1(j+2)), the figure differs from x W^T + b by up to {=worst:.1e}",
            ),
        },
    ],
};

pub(crate) const BACKPROP: SectionSpec = SectionSpec {
    title: "Back propagation (J = 1/2 (y - 2)^2)",
    title_zh: "反向传播 (J = 1/2 (y - 2)^2)",
    claims: &[
        Claim {
            en: "the relu is active: a11 w21 + b2 > 0, so its derivative is 1",
            zh: &["a_{11}w{21}+b=1.731>0"],
            zh_aside: "relu' = 1",
            note: NoteSays::Text("a11 w21 + b2 = 1.731 > 0, relu' = 1"),
            measure: Measure::ReluActive,
            rule: Rule::All(&[
                Cond::new("positive", "z21", Op::Gt, 0.0),
                Cond::new("slope_one", "slope", Op::Eq, 1.0),
            ]),
            engine: Say::same("pre-activation {=z21}, relu' = {=slope}"),
            detail: Say::by(
                "the pre-activation rounds to {=z21:.3}",
                "the relu is not active as the note says: the pre-activation is {=z21:.3} \
                 ({?positive}positive{:}not positive{/}) and relu' there is {=slope}",
            ),
        },
        number(
            "dJ/dw21 = (y - 2) a11",
            &["&=(1.731-2)\\times 0.731\\\\ &=-0.196639"],
            "-0.196639",
            Some(("(y - 2) * a11", &[("y", "~1.731"), ("a11", "~0.731")])),
            Quantity::Grad("output.weight"),
        ),
        number(
            "dJ/db2 = y - 2",
            &["\\frac{\\partial J(b_2)}{\\partial b_2}=-0.269"],
            "-0.269",
            Some(("y - 2", &[("y", "~1.731")])),
            Quantity::Grad("output.bias"),
        ),
        number(
            "dJ/dw11 = (y - 2) w21 a11 (1 - a11) x1",
            &["&= (1.731-2)\\times 1\\times 0.731 \\times(1-0.731)\\times1\\\\ &= -0.269\\times 0.731\\times 0.269\\times1\\\\ &= -0.052895"],
            "-0.052895",
            Some((
                "(y - 2) * w21 * a11 * (1 - a11) * x1",
                &[("y", "~1.731"), ("w21", "1"), ("a11", "~0.731"), ("x1", "1")],
            )),
            Quantity::Grad("hidden.weight"),
        ),
        number(
            "dJ/db1 = (y - 2) w21 a11 (1 - a11)",
            &["\\frac{\\partial J(b_1)}{\\partial b_1}=-0.052895"],
            "-0.052895",
            Some((
                "(y - 2) * w21 * a11 * (1 - a11)",
                &[("y", "~1.731"), ("w21", "1"), ("a11", "~0.731")],
            )),
            Quantity::Grad("hidden.bias"),
        ),
        gradient_formula(
            "dJ/dw21 as a formula, over many parameter values",
            &["&= (y-2)\\times a_{11}\\\\"],
            "dJ/dw21 = (y - 2) * a11",
            "output.weight",
            "(y - 2) * a11",
        ),
        gradient_formula(
            "dJ/db2 as a formula, over many parameter values",
            &["同理可得出: ∂ J ( b 2 ) ∂ b 2"],
            "dJ/db2 = y - 2",
            "output.bias",
            "y - 2",
        ),
        gradient_formula(
            "dJ/dw11 as a formula, over many parameter values",
            &["&= (y-2)\\times w_{21}\\times sigmoid(x_1w_{11}+b_1)(1-sigmoid(x_1w_{11}+b_1)x_1)"],
            "dJ/dw11 = (y - 2) * w21 * a11 * (1 - a11) * x1",
            "hidden.weight",
            "(y - 2) * w21 * a11 * (1 - a11) * x1",
        ),
        gradient_formula(
            "dJ/db1 as a formula, over many parameter values",
            &["同理可得出: ∂ J ( b 1 ) ∂ b 1"],
            "dJ/db1 = (y - 2) * w21 * a11 * (1 - a11)",
            "hidden.bias",
            "(y - 2) * w21 * a11 * (1 - a11)",
        ),
    ],
};

pub(crate) const UPDATE: SectionSpec = SectionSpec {
    title: "The update (learning rate 0.1; the note rounds gradients to 3 decimals)",
    title_zh: "更新参数 (学习率 0.1; 笔记先将梯度保留三位小数)",
    claims: &[
        number(
            "w11 after one step",
            &["w_{11}=0.5-0.1\\times(-0.053)=0.505"],
            "0.505",
            Some((STEP, &[("w", "0.5"), ("lr", "0.1"), ("g", "~-0.053")])),
            Quantity::Updated("hidden.weight"),
        ),
        number(
            "w21 after one step",
            &["w_{21}=1-0.1\\times(-0.197)=1.020"],
            "1.020",
            Some((STEP, &[("w", "1"), ("lr", "0.1"), ("g", "~-0.197")])),
            Quantity::Updated("output.weight"),
        ),
        number(
            "b1 after one step",
            &["b_1=0.5-0.1\\times(-0.053)=0.505"],
            "0.505",
            Some((STEP, &[("w", "0.5"), ("lr", "0.1"), ("g", "~-0.053")])),
            Quantity::Updated("hidden.bias"),
        ),
        number(
            "b2 after one step",
            &["b_2=1-0.1\\times(-0.269)=1.027"],
            "1.027",
            Some((STEP, &[("w", "1"), ("lr", "0.1"), ("g", "~-0.269")])),
            Quantity::Updated("output.bias"),
        ),
    ],
};

const SECOND_OUTPUT: &[(&str, &str)] = &[("a11", "~0.733"), ("w21", "~1.020"), ("b2", "~1.027")];

pub(crate) const SECOND_FORWARD: SectionSpec = SectionSpec {
    title: "The second forward pass",
    title_zh: "由该组新参数前向传播",
    claims: &[
        number(
            "a11 after the update",
            &["a_{11}=sigmoid(1\\times 0.505+0.505)=0.733"],
            "0.733",
            Some((HIDDEN, &[("x1", "1"), ("w11", "~0.505"), ("b1", "~0.505")])),
            Quantity::A11(Pass::Second),
        ),
        number(
            "a21 after the update",
            &["a_{21}=relu(0.733\\times1.02+1.027)=1.775"],
            "1.775",
            Some((OUTPUT, SECOND_OUTPUT)),
            Quantity::A21(Pass::Second),
        ),
        number(
            "y after the update",
            &["y=1.775"],
            "1.775",
            Some((OUTPUT, SECOND_OUTPUT)),
            Quantity::A21(Pass::Second),
        ),
    ],
};

pub(crate) const CLOSING: SectionSpec = SectionSpec {
    title: "The closing sentence",
    title_zh: "结论",
    claims: &[
        number(
            "the final output",
            &["此时最终的输出结果为 y = 0.1775"],
            "0.1775",
            None,
            Quantity::A21(Pass::Second),
        ),
        Claim {
            en: "the new output is closer to the label 2 than 1.731",
            zh: &["可以看出这个数值比初次前向传播得出的输出值 1.731 更接近真实值 2"],
            zh_aside: "",
            note: NoteSays::Text("closer to 2 than 1.731"),
            measure: Measure::Closer {
                own: "1.775",
                stated: "0.1775",
            },
            rule: Rule::All(&[Cond::vs("closer", "gap_after", Op::Lt, "gap_before")]),
            engine: Say::same(
                "|2 - y|: {=gap_before} before, {=gap_after} after; the loss J {?loss_fell}fell{:}rose{/} from \
                 {=loss_before} to {=loss_after}",
            ),
            detail: Say::by(
                "true of the engine's y = {=y4} (the note's own 1.775 {?own_closer}too{:}is not, though{/}); the stated \
                 0.1775 would be {?stated_closer}closer as well{:}further from 2, not closer{/}",
                "not true of the engine's y = {=y4}, further from 2 than 1.731; the note's own 1.775 would \
                 {?own_closer}be closer{:}not be closer either{/}, the stated 0.1775 {?stated_closer}closer{:}further \
                 from 2{/}",
            ),
        },
    ],
};
