//! The engine's own elementary functions, where libm's cannot be vectorised.
//!
//! A call into libm per element keeps a loop from using the CPU's vector units: `tanh` over a
//! tensor cost one `tanh` call (about 120 instructions) per element. [`tanh`] here is plain
//! branch-free `f64` arithmetic, which the compiler turns into vector code inside a kernel's
//! loop and into straight-line code on a scalar. It uses no fused multiply-add (Rust never
//! contracts `a * b + c`), so every element's bits are the same on every CPU, at every vector
//! width and on every thread.

use crate::dtype::Float;

/// The first coefficients of `f` in
/// `tanh(a) = a + a^3 f(a^2)` for `|a| < SMALL`: `f(u) = (tanh(sqrt(u)) / sqrt(u) - 1) / u`
/// interpolated at 15 Chebyshev nodes of `[0, 0.75^2]` in 60-digit arithmetic (mpmath), then
/// written in powers of `u` and rounded to `f64`; its relative error is below 6e-17. Made by
/// this script (`pip install mpmath`; `python fit.py`):
///
/// ```text
/// import mpmath as mp
/// mp.mp.dps = 60
/// U, d = mp.mpf("0.75") ** 2, 14
/// def f(u):
///     s = mp.sqrt(u)
///     return mp.mpf(-1) / 3 if u == 0 else (mp.tanh(s) / s - 1) / u
/// nodes = [U / 2 * (1 + mp.cos(mp.pi * (k + mp.mpf(1) / 2) / (d + 1))) for k in range(d + 1)]
/// A = mp.matrix([[x**j for j in range(d + 1)] for x in nodes])
/// c = mp.lu_solve(A, mp.matrix([f(x) for x in nodes]))
/// print([float(c[j]) for j in range(d + 1)])
/// ```
const SMALL_POLY_HEAD: [f64; 3] = [-0.3333333333333333, 0.1333333333333333, -0.053968253968250834];
/// The rest of the coefficients of `f`, from `u^3` (see [`SMALL_POLY_HEAD`]).
const SMALL_POLY_TAIL: [f64; 12] = [
    0.021869488535990196,
    -0.00886323552534426,
    0.0035921279605617214,
    -0.0014558335571773309,
    0.0005900212038005774,
    -0.00023909581479379004,
    9.678675277338755e-05,
    -3.891594555873535e-05,
    1.5175121210260702e-05,
    -5.350510151510398e-06,
    1.45979199970163e-06,
    -2.1833069247300746e-07,
];

/// Below this `|x|` the polynomial; from it `1 - 2 / (e^(2|x|) + 1)`, whose cancellation is
/// mild there (`tanh(0.75) = 0.635`).
const SMALL: f64 = 0.75;

/// `tanh(x)` rounds to 1 in `f64` from `x = 19.06`; clamping there keeps `e^(2|x|)` finite.
const SATURATED: f64 = 20.0;

/// `ln 2` split so that `k * LN2_HI` is exact for the `|k| < 2^20` used here (fdlibm's).
const LN2_HI: f64 = 6.931_471_803_691_238e-1; // 0x3fe62e42fee00000
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10; // 0x3dea39ef35793c76

/// `1.5 * 2^52`: adding it rounds a number below `2^51` to an integer, held in the low bits.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// `c[0] + c[1] x + ... + c[N - 1] x^(N - 1)` by Estrin's scheme: pairs `c[2i] + c[2i + 1] x`,
/// then pairs of those with `x^2`, of those with `x^4`, and so on (a tail without a partner
/// moves up as it is).
#[inline(always)]
fn estrin<const N: usize>(c: &[f64; N], x: f64) -> f64 {
    let mut level = [0.0; N];
    let mut len = 0;
    for pair in c.chunks(2) {
        level[len] = if let [lo, hi] = pair { lo + hi * x } else { pair[0] };
        len += 1;
    }
    let mut power = x * x;
    while len > 1 {
        let mut k = 0;
        for j in (0..len).step_by(2) {
            level[k] = if j + 1 < len {
                level[j] + level[j + 1] * power
            } else {
                level[j]
            };
            k += 1;
        }
        len = k;
        power = power * power;
    }
    level[0]
}

/// `2 / (e^(2a) + 1)` for `0.75 <= a <= 20` (the large-`a` form of `tanh` is one minus it).
///
/// `2a = k ln 2 + r` with `|r| <= ln 2 / 2`, `e^r` by its Taylor polynomial of degree 13 (the
/// remainder is below `4e-18` relative), so `e^(2a) = 2^k e^r` and the result is
/// `2^(1 - k) / (e^r + 2^-k)`: the same bits as `2 / (2^k e^r + 1)` (a power of two scales
/// without rounding), one multiplication shorter on the chain each result waits for.
#[inline(always)]
fn two_over_exp2a_plus_1(a: f64) -> f64 {
    // From `a`, not `2a`: `a * (2 log2 e)` is `2a * log2 e` scaled by two, the same bits, and
    // does not wait for the doubling.
    let k_round = a * (2.0 * std::f64::consts::LOG2_E) + ROUND;
    let k = k_round - ROUND;
    let r = ((a + a) - k * LN2_HI) - k * LN2_LO;
    // 1, 1, 1/2!, ..., 1/13!.
    const HEAD: [f64; 2] = [1.0, 1.0];
    const TAIL: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    // The two low-order terms by Horner (their roundings decide the accuracy: with only one,
    // the largest error over 200,000 points grew from 1.07 to 1.17 ulp), the rest by Estrin's
    // scheme: half the chain of dependent operations of Horner's.
    let c = HEAD;
    let e_r = c[0] + r * (c[1] + r * estrin(&TAIL, r));
    // k is an integer in 0..=58 here (0 for the small arguments the other form serves): its
    // bits, shifted into the exponent field, scale by a power of two.
    let k_bits = k_round.to_bits() << 52;
    let two_minus_k = f64::from_bits((1023u64 << 52).wrapping_sub(k_bits));
    let two_one_minus_k = f64::from_bits((1024u64 << 52).wrapping_sub(k_bits));
    two_one_minus_k / (e_r + two_minus_k)
}

/// The hyperbolic tangent as the engine computes it ([`Var::tanh`](crate::Var::tanh), in
/// `f64`; an `f32` tensor's elements are computed in `f64` and rounded once).
///
/// Within about one unit in the last place of the exact value: 1.06 ulp at most over 1.2
/// million points against 40-digit mpmath (0.81 below `|x| = 0.75`, 0.63 above 1.5), and never
/// more than one `f64` step from the correctly rounded result (`tests/suite/tanh.rs`). glibc's
/// `tanh` promises 2 ulp; PyTorch's vectorised `tanh` (SLEEF) 1 ulp. Odd (`tanh(-x) =
/// -tanh(x)` bit for bit, `tanh(-0) = -0`), `+-1` exactly from `|x| = 19.1`, NaN for NaN.
///
/// ```
/// use chainrule::math::tanh;
/// assert_eq!(tanh(0.0), 0.0);
/// assert!(tanh(-0.0).is_sign_negative());
/// assert_eq!(tanh(20.0), 1.0);
/// assert_eq!(tanh(-f64::INFINITY), -1.0);
/// assert!(tanh(f64::NAN).is_nan());
/// // tanh(0.5) = 0.46211715726000975850...: within one step of the correctly rounded f64.
/// assert!((tanh(0.5) - 0.46211715726000974).abs() <= f64::EPSILON / 4.0);
/// assert_eq!(tanh(-0.5), -tanh(0.5));
/// ```
#[inline(always)]
pub fn tanh(x: f64) -> f64 {
    let a = x.abs().min(SATURATED);
    // Both forms for every element, then a choice: no branch, so a loop over a tensor
    // vectorises and a scalar does not mispredict.
    let u = a * a;
    let c = SMALL_POLY_HEAD;
    let p = c[0] + u * (c[1] + u * (c[2] + u * estrin(&SMALL_POLY_TAIL, u)));
    let small = a + a * (u * p);
    let large = 1.0 - two_over_exp2a_plus_1(a);
    let t = if a < SMALL { small } else { large };
    // `min` gives 20 for NaN: NaN passes through here.
    if x.is_nan() {
        x
    } else {
        t.copysign(x)
    }
}

/// `out[i] = tanh(x[i])` for a kernel's elements ([`tanh`] on each, `f32` through `f64`), in
/// the widest vectors the CPU has: the same bits at every width, as [`tanh`] has no fused
/// multiply-add and no branch.
pub(crate) fn tanh_into<T: Float>(x: &[T], out: &mut [T]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked on the line above.
            return unsafe { tanh_avx512(x, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked on the line above.
            return unsafe { tanh_avx2(x, out) };
        }
    }
    tanh_each(x, out);
}

#[inline(always)]
fn tanh_each<T: Float>(x: &[T], out: &mut [T]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = T::from_f64(tanh(v.as_f64()));
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn tanh_avx2<T: Float>(x: &[T], out: &mut [T]) {
    tanh_each(x, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn tanh_avx512<T: Float>(x: &[T], out: &mut [T]) {
    tanh_each(x, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every path the CPU can take gives the bits of the plain loop (compiled for the
    /// baseline), in `f64` and `f32`, at lengths around every vector width.
    #[test]
    fn every_vector_width_gives_the_same_bits() {
        let mut xs: Vec<f64> = (0..203).map(|i| (i as f64 - 101.0) * 0.0731).collect();
        // Past the switch at 0.75 and the clamp at 20, and the non-finite.
        xs.extend([-0.0, 0.75, 25.0, f64::NAN, f64::INFINITY, -f64::INFINITY]);
        let x32: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
        for n in [1, 3, 4, 7, 8, 9, 16, 17, xs.len()] {
            let (mut want, mut want32) = (vec![0.0; n], vec![0.0f32; n]);
            tanh_each(&xs[..n], &mut want);
            tanh_each(&x32[..n], &mut want32);
            let mut paths: Vec<(&str, Vec<f64>, Vec<f32>)> = Vec::new();
            let (mut got, mut got32) = (vec![0.0; n], vec![0.0f32; n]);
            tanh_into(&xs[..n], &mut got);
            tanh_into(&x32[..n], &mut got32);
            paths.push(("dispatched", got, got32));
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx2") {
                    let (mut got, mut got32) = (vec![0.0; n], vec![0.0f32; n]);
                    // SAFETY: the CPU has AVX2, checked above.
                    unsafe { (tanh_avx2(&xs[..n], &mut got), tanh_avx2(&x32[..n], &mut got32)) };
                    paths.push(("avx2", got, got32));
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    let (mut got, mut got32) = (vec![0.0; n], vec![0.0f32; n]);
                    // SAFETY: the CPU has AVX-512F, checked above.
                    unsafe {
                        (
                            tanh_avx512(&xs[..n], &mut got),
                            tanh_avx512(&x32[..n], &mut got32),
                        )
                    };
                    paths.push(("avx512", got, got32));
                }
            }
            for (path, got, got32) in paths {
                for i in 0..n {
                    assert_eq!(
                        got[i].to_bits(),
                        want[i].to_bits(),
                        "{path} f64 tanh({:e})",
                        xs[i]
                    );
                    assert_eq!(
                        got32[i].to_bits(),
                        want32[i].to_bits(),
                        "{path} f32 tanh({:e})",
                        x32[i]
                    );
                    assert_eq!(want[i].to_bits(), tanh(xs[i]).to_bits());
                }
            }
        }
    }
}
