"""Benchmark scripts (docs/benchmarks.md); their shared parts are in bench.harness."""
