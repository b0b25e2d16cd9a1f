"""Support for tests, benchmarks and the demo: corpus sites and isolated settings.

Sits beside services/common (imports nothing but it), so the crawler's test helpers, the pipeline and
bench/ can all use it without importing each other or tests/.
"""
