"""Benchmarks for derive: proof cost against the exact expansion alone, gradient throughput against hand
NumPy, PyTorch and JAX, training against a hand NumPy loop, and grading throughput.  Every peer runs in its
own process (``benchmarks.runner``).  Run with ``./dev bench`` or ``python -m benchmarks``.
"""
