"""What the tests and the benchmarks share: the fake Bot API and the harness that runs the bot against it,
a fake clock, a reply collector, the percentile, the scenarios a test runs small and a bench runs big.

Benchmarks import it as `tests.support.<module>` and run as modules from the repository's root
(`python -m bench.crash`); tests never import bench/."""
