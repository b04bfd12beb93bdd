"""Benchmarks (`make bench`): one module per area, each with `main(argv) -> str`.

Figures go to docs/benchmarks.md; speed and memory targets live here, not in timed tests.
"""
