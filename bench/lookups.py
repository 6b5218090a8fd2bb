"""How fast the look-ups are on the real data: parse time, find() per call, memory held by each index.

Why: find() runs on what users type, and parsing runs at start-up and at every daily refresh. Prints
figures only. Reads the real files from /work/shared/data (or the paths given) and the test samples otherwise.

    python -m bench.lookups [--hibp FILE] [--ioc FILE]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot.app import load_data
from bot.config import Settings
from bot.lookups.breaches import Catalogue
from bot.lookups.stalkerware import Indicators

SHARED = Path("/work/shared/data")
SAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "data"
QUERIES = {
    "breaches": ["mSpy", " M Spy ", "mspy.com", "https://www.linkedin.com/in/x", "Pokébip", "nonsense", "adobe.fr"],
    "stalkerware": ["mSpy", "eyeZy", "com.mspy.lite", "https://www.mspy.com/x", "com.whatsapp", "Cerbérus"],
}


def median_ms(parse: Callable[[bytes], Any], raw: bytes, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parse(raw)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def find_us(find: Callable[[str], Any], queries: list[str], calls: int = 100_000) -> float:
    start = time.perf_counter()
    for i in range(calls):
        find(queries[i % len(queries)])
    return (time.perf_counter() - start) / calls * 1e6


def held_bytes(parse: Callable[[bytes], Any], path: Path) -> int:
    """Bytes still allocated once the parsed object is built and the raw input dropped."""
    gc.collect()
    tracemalloc.start()
    kept = parse(path.read_bytes())
    gc.collect()
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return size


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_hibp = SHARED / "hibp" / "breaches-2024-11-22.json"
    default_ioc = SHARED / "stalkerware-indicators" / "ioc.yaml"
    arguments.add_argument("--hibp", type=Path, default=default_hibp if default_hibp.exists() else None)
    arguments.add_argument("--ioc", type=Path, default=default_ioc if default_ioc.exists() else None)
    args = arguments.parse_args()
    hibp = args.hibp or SAMPLES / "hibp-breaches-sample.json"
    ioc = args.ioc or SAMPLES / "ioc-sample.yaml"
    for label, path, kind, parse in (
        ("breaches", hibp, "breaches", Catalogue.parse),
        ("stalkerware", ioc, "apps", Indicators.parse),
    ):
        raw = path.read_bytes()
        parsed = parse(raw)
        print(f"{label:12} {path} ({len(raw) / 1024:.0f} KB, {len(parsed)} {kind})")
        print(f"{'':12} parse         {median_ms(parse, raw, 15):8.1f} ms (median of 15)")
        print(f"{'':12} find()        {find_us(parsed.find, QUERIES[label]):8.2f} µs per call (hits and misses)")
        print(f"{'':12} memory held   {held_bytes(parse, path) / 1024:8.0f} KB")
    with tempfile.TemporaryDirectory() as folder:  # start-up reads both (tests/test_breaches.py checks what)
        config = replace(Settings.from_env(), data_dir=Path(folder), hibp_breaches=str(hibp), stalkerware_ioc=ioc)
        start = time.perf_counter()
        load_data(config)
        print(f"{'start-up':12} load_data     {(time.perf_counter() - start) * 1000:8.1f} ms (both files, once)")


if __name__ == "__main__":
    main()
