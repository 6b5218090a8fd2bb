"""Benchmarks: scripts that print figures, never asserts. Each runs as a module from the repository's root,
`python -m bench.<name>` (bench/README.md), so that `bot` and `tests.support` import with no edit of `sys.path`."""
