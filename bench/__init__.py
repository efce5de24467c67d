"""Benchmarks of pollama against the raw engine (xllamacpp in-process), run by ``scripts/bench``.

One module per benchmark (``b_*.py``); each exposes ``run(ctx: Context) -> Section``. The runner
(``python -m bench``) runs them in order and rewrites ``BENCHMARKS.md``.
"""
