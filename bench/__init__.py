"""Benchmark tools: the synthetic data generator (`claimline generate`) and the scripts that
measure the service (see docs/benchmarks.md)."""
