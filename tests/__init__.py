"""Gaffe's tests, a package so that `tests.support` is importable by the tests and by bench/ alike (run from the
repository's root: `pytest`, `python -m bench.crash`), with no edit of `sys.path` anywhere."""
