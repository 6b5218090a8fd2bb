"""The secret filter (`bot.core.sensitive.detect`) measured: recall and false alarms, on the corpus it was tuned on
and on the held-out one it never was, and its time per message.

Why: the figure on the tuning corpus (tests/corpus/secrets.yaml, ordinary.txt) says little more than coverage,
since the rules were written to pass it; the held-out corpus (tests/corpus/heldout_*, committed before the
filter changed for issue 18, never tuned on) is the honest estimate of what the filter does on messages it has
never seen. Per kind of secret, how many were caught; `--lines` also prints every miss and false alarm (read the
held-out ones only when the tuning is over: reading them is tuning on them). Time: median µs per message over
the corpora's lines, a 4096-character message (Telegram's longest) and adversarial ones (repeated cues).

    python -m bench.secret_filter [--lines] [--revision REV] [--corpus tuning|held-out|both]

`--revision main` measures the filter as it is in that git revision (from `git show`), for a before/after.
The corpora are read by tests/support/secret_corpus.py, shared with tests/test_secret_corpus.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable

from tests.support.paths import ROOT
from tests.support.secret_corpus import CORPORA, Corpus, load

Detect = Callable[[str], object]


def filter_at(revision: str | None) -> Detect:
    if revision is None:
        from bot.core.sensitive import detect

        return detect
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:bot/core/sensitive.py"], check=True, capture_output=True
    ).stdout
    with tempfile.NamedTemporaryFile("wb", suffix=".py", delete=False) as file:
        file.write(source)
    spec = importlib.util.spec_from_file_location("sensitive_at_revision", file.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.detect  # type: ignore[no-any-return]


def measure(name: str, corpus: Corpus, detect: Detect, lines: bool) -> None:
    total, caught = Counter[str](), Counter[str]()
    missed: list[tuple[str, str]] = []
    for kind, text in corpus.secrets:
        total[kind] += 1
        if detect(text) is not None:
            caught[kind] += 1
        else:
            missed.append((kind, text))
    alarms = [(text, detect(text)) for text in corpus.ordinary if detect(text) is not None]
    recall = sum(caught.values()) / len(corpus.secrets)
    print(f"{name}: recall {recall:.1%} ({sum(caught.values())}/{len(corpus.secrets)} secrets caught), ", end="")
    rate = len(alarms) / len(corpus.ordinary)
    print(f"false alarms {rate:.2%} ({len(alarms)}/{len(corpus.ordinary)} ordinary lines)")
    for kind in total:
        print(f"  {kind:18} {caught[kind]:3}/{total[kind]:<3} caught, {total[kind] - caught[kind]} missed")
    if lines:
        for kind, text in missed:
            print(f"  missed ({kind}): {text!r}")
        for text, found in alarms:
            print(f"  false alarm ({found}): {text!r}")


def microseconds(
    detect: Detect, messages: list[str], rounds: int = 5, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Median over `rounds` of the mean time per message, in µs (wall time, or `clock`'s)."""
    means = []
    for _ in range(rounds):
        started = clock()
        for text in messages:
            detect(text)
        means.append((clock() - started) / len(messages))
    return statistics.median(means) * 1e6


def speed(detect: Detect, corpora: list[Corpus]) -> None:
    everyday = [text for corpus in corpora for text in (*corpus.ordinary, *(t for _, t in corpus.secrets))]
    longest = ("je crois qu'on m'a piraté mon compte, il lit mes messages depuis 2023 et " * 60)[:4096]
    adversarial = {
        "4096 chars of 'mdp : '": ("mdp : " * 700)[:4096],
        "4096 chars of 'un '": ("un " * 1400)[:4096],
        "4096 digits in groups": ("4970 " * 820)[:4096],
        "4096 chars, one word": "a1" * 2048,
        "4096 chars of 'question secrète : '": ("question secrète : " * 250)[:4096],  # a frame every 3 words
        "4096 chars of 'password '": ("password " * 460)[:4096],  # a notorious word each time (was quadratic)
        "':' then 4096 digits": ": " + "1" * 4094,  # an answer before its cue (quadratic while written)
    }
    # CPU time too: on a shared machine it moves less than wall time with the other processes' load
    cpu = microseconds(detect, everyday, clock=time.process_time)
    print(f"speed: {microseconds(detect, everyday):.0f} µs per message on the corpora's {len(everyday)} lines", end="")
    print(f" ({cpu:.0f} µs of CPU)")
    print(f"  a 4096-character chat message: {microseconds(detect, [longest]):.0f} µs")
    for name, text in adversarial.items():
        print(f"  {name}: {microseconds(detect, [text], rounds=3):.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", action="store_true", help="print every miss and false alarm")
    parser.add_argument("--revision", help="measure the filter of this git revision instead of the working tree")
    parser.add_argument("--corpus", choices=[*CORPORA, "both"], default="both", help="which corpus (default: both)")
    args = parser.parse_args()
    detect = filter_at(args.revision)
    chosen = CORPORA if args.corpus == "both" else {args.corpus: CORPORA[args.corpus]}
    corpora = {name: load(*files) for name, files in chosen.items()}
    for name, corpus in corpora.items():
        measure(name, corpus, detect, args.lines)
    speed(detect, list(corpora.values()))


if __name__ == "__main__":
    main()
