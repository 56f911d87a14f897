"""Benchmark scripts; ``python -m benchmarks`` regenerates BENCHMARKS.md from them (benchmarks/README.md)."""
