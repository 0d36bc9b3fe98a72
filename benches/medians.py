#!/usr/bin/env python3
"""Prints the median of every criterion benchmark of the last `cargo bench` run.

Usage: python3 benches/medians.py [CRITERION_DIR]   (default: target/criterion)

Reads each benchmark's `new/benchmark.json` and `new/estimates.json`; for benchmarks with an
element throughput (W3: 2 n^3 flops per iteration) it also prints GFLOP/s at the median.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = []
for bench in root.glob("**/new/benchmark.json"):
    meta = json.loads(bench.read_text())
    est = json.loads((bench.parent / "estimates.json").read_text())
    median = est["median"]["point_estimate"]
    lo = est["median"]["confidence_interval"]["lower_bound"]
    hi = est["median"]["confidence_interval"]["upper_bound"]
    extra = ""
    tp = meta.get("throughput") or {}
    if "Elements" in tp:
        extra = f"  {tp['Elements'] / median:8.2f} GFLOP/s"
    rows.append((meta["full_id"], median, lo, hi, extra))


def fmt(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:8.3f} {unit}"
    return f"{ns:8.1f} ns"


for full_id, median, lo, hi, extra in sorted(rows):
    print(f"{full_id:32} median {fmt(median)}  [{fmt(lo)} .. {fmt(hi)}]{extra}")
