"""Benchmarks for derive: gradient throughput against NumPy and PyTorch, and symbolic cost vs size.

Run with ``python -m benchmarks`` (or ``./dev bench``); results go to ``benchmarks/results/``.
"""
