"""Benchmarks: `python -m bench` runs every `bench_*.py` module here (each has a `main()`)."""
