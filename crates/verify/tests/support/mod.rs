//! What the fuzz suites share: the case count and a runner that times the cases.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::time::Instant;

/// Cases per property: `CHAINRULE_FUZZ_CASES` if set (the long run uses 100000), else 256.
pub fn cases() -> u32 {
    std::env::var("CHAINRULE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

/// Runs `test` on `n` values of `strategy` (a failure panics with the shrunk input); returns
/// the seconds they took.
pub fn run<S: Strategy>(n: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) -> f64 {
    let mut runner = TestRunner::new(Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    });
    let start = Instant::now();
    runner.run(&strategy, test).unwrap();
    start.elapsed().as_secs_f64()
}
