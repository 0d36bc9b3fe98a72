//! Value parsers shared by the subcommands: each checks its range and says what it expected.

use std::fmt;

/// A whole number of at least 1 (epochs, batch sizes, ...).
pub fn count(s: &str) -> Result<usize, String> {
    use std::num::IntErrorKind;
    match s.trim().parse::<i128>() {
        Ok(n) if n >= 1 && n <= usize::MAX as i128 => Ok(n as usize),
        Ok(n) if n >= 1 => Err(format!("must be at most {}, got {n}", usize::MAX)),
        Ok(n) => Err(format!("must be at least 1, got {n}")),
        Err(e) if *e.kind() == IntErrorKind::PosOverflow => {
            Err(format!("must be at most {}, got {}", usize::MAX, s.trim()))
        }
        Err(e) if *e.kind() == IntErrorKind::NegOverflow => {
            Err(format!("must be at least 1, got {}", s.trim()))
        }
        Err(_) => Err(format!("expected a whole number of at least 1, got {s:?}")),
    }
}

/// The highest `--order` of `check`: each order records the previous one's derivative rules,
/// so the work and memory grow about twofold per order (order 10 of `sin(x)*exp(x)` takes
/// seconds, order 16 more than a minute and gigabytes).
pub const MAX_ORDER: usize = 10;

/// The order of a derivative: a whole number from 1 to [`MAX_ORDER`].
pub fn order(s: &str) -> Result<usize, String> {
    match count(s)? {
        n if n <= MAX_ORDER => Ok(n),
        n => Err(format!(
            "must be at most {MAX_ORDER} (the work doubles with each order), got {n}"
        )),
    }
}

fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .map_err(|_| format!("expected a number, got {s:?}"))
}

/// A thread count: 1 to the engine's [`MAX_THREADS`](autograd::MAX_THREADS).
pub fn threads(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n @ 1..=autograd::MAX_THREADS) => Ok(n),
        Ok(n) => Err(format!("must be 1 to {}, got {n}", autograd::MAX_THREADS)),
        Err(_) => Err(format!("expected a whole number of threads, got {s:?}")),
    }
}

/// A finite number greater than 0 (learning rates, pixel scales, ...).
pub fn positive(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(format!("must be a finite number greater than 0, got {x}"))
    }
}

/// A finite number of at least 0 (weight decay).
pub fn non_negative(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(format!("must be a finite number of at least 0, got {x}"))
    }
}

/// A fraction strictly between 0 and 1 (a test split).
pub fn fraction(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if x > 0.0 && x < 1.0 {
        Ok(x)
    } else {
        Err(format!("must be above 0 and below 1, got {x}"))
    }
}

/// A number in `[0, 1)` (momentum).
pub fn momentum(s: &str) -> Result<f64, String> {
    let x = number(s)?;
    if (0.0..1.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!("must be at least 0 and below 1, got {x}"))
    }
}

/// Hidden layer sizes: a comma-separated list of positive sizes; `""` or `0` for none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hidden(pub Vec<usize>);

impl fmt::Display for Hidden {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<String> = self.0.iter().map(|s| s.to_string()).collect();
        write!(f, "{}", if v.is_empty() { "none".into() } else { v.join(",") })
    }
}

/// Parses `--hidden`: `64`, `128,64`, `""` or `0` (no hidden layer).
pub fn hidden(s: &str) -> Result<Hidden, String> {
    let s = s.trim();
    if s.is_empty() || s == "0" || s == "none" {
        return Ok(Hidden(Vec::new()));
    }
    s.split(',')
        .map(|p| match p.trim().parse::<usize>() {
            Ok(0) => Err(
                "a layer size of 0 is only allowed alone (`--hidden 0` means no hidden layer)".to_string(),
            ),
            Ok(n) if n <= 1 << 20 => Ok(n),
            Ok(n) => Err(format!("layer size {n} is too large (at most {})", 1 << 20)),
            Err(_) => Err(format!(
                "expected comma-separated layer sizes such as 64 or 128,64, got {s:?}"
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Hidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(count("3"), Ok(3));
        assert!(count("0").unwrap_err().contains("at least 1"));
        assert!(count("-2").unwrap_err().contains("got -2"));
        assert!(count("1.5").is_err());
        assert!(count("18446744073709551616").unwrap_err().contains("at most"));
        assert!(count("99999999999999999999999999999999999999999")
            .unwrap_err()
            .contains("at most"));
        assert!(count("-99999999999999999999999999999999999999999")
            .unwrap_err()
            .contains("at least 1"));
        assert_eq!(order("10"), Ok(10));
        assert!(order("11").unwrap_err().contains("at most 10"));
        assert!(order("0").is_err());
        assert_eq!(positive("0.01"), Ok(0.01));
        for bad in ["0", "-1", "NaN", "inf", "-inf", "x"] {
            assert!(positive(bad).is_err(), "{bad}");
        }
        assert_eq!(non_negative("0"), Ok(0.0));
        assert!(non_negative("nan").is_err());
        assert_eq!(momentum("0.9"), Ok(0.9));
        assert!(momentum("1").is_err() && momentum("-0.1").is_err() && momentum("NaN").is_err());
    }

    #[test]
    fn hidden_sizes() {
        assert_eq!(hidden("64"), Ok(Hidden(vec![64])));
        assert_eq!(hidden(" 128, 64 "), Ok(Hidden(vec![128, 64])));
        assert_eq!(hidden(""), Ok(Hidden(vec![])));
        assert_eq!(hidden("0"), Ok(Hidden(vec![])));
        assert!(hidden("64,0").is_err());
        assert!(hidden("64,,3").is_err());
        assert!(hidden("-3").is_err());
        assert_eq!(Hidden(vec![]).to_string(), "none");
    }
}

/// `name=value` pairs separated by commas (`x=0.5,y=-1`), values finite numbers.
pub fn assignments(s: &str) -> Result<Vec<(String, f64)>, String> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (name, value) = p
                .split_once('=')
                .ok_or_else(|| format!("expected name=value (such as x=0.5), got {p:?}"))?;
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return Err(format!("{name:?} is not a name"));
            }
            let v = number(value)?;
            if !v.is_finite() {
                return Err(format!("the value of {name} must be finite, got {v}"));
            }
            Ok((name.to_string(), v))
        })
        .collect()
}

/// A comma-separated list of names (`x,y`).
pub fn names(s: &str) -> Result<Vec<String>, String> {
    let v: Vec<String> = s
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if v.is_empty() {
        return Err("expected one or more comma-separated names".into());
    }
    if let Some(bad) = v
        .iter()
        .find(|n| !n.chars().all(|c| c.is_alphanumeric() || c == '_'))
    {
        return Err(format!("{bad:?} is not a name"));
    }
    Ok(v)
}

/// Layer sizes of `trace --layers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sizes(pub Vec<usize>);

/// The most sizes `trace --layers` takes: every path is printed, and a chain of 400 layers
/// already prints megabytes.
pub const MAX_LAYERS: usize = 64;

/// Parses `trace --layers`: up to [`MAX_LAYERS`] comma-separated sizes from 1 to 64.
pub fn sizes(s: &str) -> Result<Sizes, String> {
    let sizes = s
        .split(',')
        .map(|p| match p.trim().parse::<usize>() {
            Ok(n) if (1..=64).contains(&n) => Ok(n),
            _ => Err(format!(
                "expected comma-separated layer sizes from 1 to 64 (such as 2,2,1), got {s:?}"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if sizes.len() > MAX_LAYERS {
        return Err(format!(
            "at most {MAX_LAYERS} layer sizes can be traced, got {}",
            sizes.len()
        ));
    }
    Ok(Sizes(sizes))
}

/// Output format of the reporting subcommands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// JSON, for scripts.
    Json,
}

/// Output format of `chainrule graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
    /// SVG drawn by chainrule itself (no Graphviz needed).
    Svg,
}

/// Output format of `chainrule trace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TraceFormat {
    /// Human-readable text.
    Text,
    /// JSON, for scripts.
    Json,
    /// The loss's graph as SVG, every node with its value and gradient (before the SGD step).
    Svg,
}
