//! micrograd's two published engine tests (karpathy/micrograd, `test/test_engine.py`), ported
//! expression for expression. micrograd checks itself against PyTorch; here the PyTorch values
//! are worked out exactly by hand (every op involved is rational away from the relu kinks) and
//! the engine must reproduce them to micrograd's tolerance of 1e-6.

use chainrule::Tape;

/// `test_sanity_check`:
///
/// ```python
/// x = Value(-4.0)
/// z = 2 * x + 2 + x
/// q = z.relu() + z * x
/// h = (z * z).relu()
/// y = h + q + q * x
/// y.backward()
/// ```
///
/// By hand: z = 3x + 2 = -10, so relu(z) = 0 (inactive) and z^2 = 100 > 0 (active). Near
/// x = -4 this gives q = (3x + 2) x and y = (3x + 2)^2 + q + q x = 3x^3 + 14x^2 + 14x + 4,
/// so y(-4) = -192 + 224 - 56 + 4 = -20 and dy/dx = 9x^2 + 28x + 14 = 144 - 112 + 14 = 46.
#[test]
fn test_sanity_check() {
    let tape = Tape::<f64>::new();
    let x = tape.scalar_var(-4.0);
    let z = 2.0 * x + 2.0 + x;
    let q = z.relu() + z * x;
    let h = (z * z).relu();
    let y = h + q + q * x;
    let g = y.backward();

    let (ypt, xgrad_pt) = (-20.0, 46.0);
    assert!((y.item() - ypt).abs() < 1e-6, "forward: {} vs {ypt}", y.item());
    assert!(
        (g[x].item() - xgrad_pt).abs() < 1e-6,
        "backward: {} vs {xgrad_pt}",
        g[x].item()
    );
    // micrograd asserts exact equality with PyTorch; every intermediate here is a small
    // integer, so the f64 results are exact as well.
    assert_eq!(y.item(), ypt);
    assert_eq!(g[x].item(), xgrad_pt);
    // The intermediates, as micrograd would print them.
    assert_eq!((z.item(), q.item(), h.item()), (-10.0, 40.0, 100.0));
}

/// `test_more_ops`:
///
/// ```python
/// a = Value(-4.0); b = Value(2.0)
/// c = a + b
/// d = a * b + b**3
/// c += c + 1
/// c += 1 + c + (-a)
/// d += d * 2 + (b + a).relu()
/// d += 3 * d + (b - a).relu()
/// e = c - d
/// f = e**2
/// g = f / 2.0
/// g += 10.0 / f
/// g.backward()
/// ```
///
/// By hand: b + a = -2 (relu inactive), b - a = 6 (active), so near (a, b) = (-4, 2)
/// c = 3a + 4b + 3 = -1, d = 12ab + 12b^3 + b - a = 6, e = 4a + 3b + 3 - 12ab - 12b^3 = -7,
/// f = 49 and g = f/2 + 10/f = 2421/98. dg/de = e - 20/e^3 = -7 + 20/343, de/da = 4 - 12b
/// = -20 and de/db = 3 - 12a - 36b^2 = -93, so dg/da = 47620/343 and dg/db = 221433/343.
/// (micrograd's README prints these as 24.7041, 138.8338 and 645.5773.)
#[test]
fn test_more_ops() {
    let tape = Tape::<f64>::new();
    let a = tape.scalar_var(-4.0);
    let b = tape.scalar_var(2.0);
    let mut c = a + b;
    let mut d = a * b + b.powf(3.0);
    c = c + (c + 1.0);
    c = c + (1.0 + c + (-a));
    d = d + (d * 2.0 + (b + a).relu());
    d = d + (3.0 * d + (b - a).relu());
    let e = c - d;
    let f = e.powf(2.0);
    let mut g = f / 2.0;
    g = g + 10.0 / f;
    let grads = g.backward();

    assert_eq!((c.item(), d.item(), e.item(), f.item()), (-1.0, 6.0, -7.0, 49.0));

    let tol = 1e-6;
    let (g_pt, a_grad_pt, b_grad_pt) = (2421.0 / 98.0, 47620.0 / 343.0, 221433.0 / 343.0);
    assert!((g.item() - g_pt).abs() < tol, "g: {} vs {g_pt}", g.item());
    assert!(
        (grads[a].item() - a_grad_pt).abs() < tol,
        "dg/da: {} vs {a_grad_pt}",
        grads[a].item()
    );
    assert!(
        (grads[b].item() - b_grad_pt).abs() < tol,
        "dg/db: {} vs {b_grad_pt}",
        grads[b].item()
    );

    // micrograd's README, to the four decimals it prints.
    assert_eq!(format!("{:.4}", g.item()), "24.7041");
    assert_eq!(format!("{:.4}", grads[a].item()), "138.8338");
    assert_eq!(format!("{:.4}", grads[b].item()), "645.5773");
}
