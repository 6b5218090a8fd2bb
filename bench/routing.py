"""How well free text reaches the right dialogue: the share of worried lines routed right, and the number of
ordinary lines that open an abuse flow, on the tuning set and on the held-out set.

Why: someone frightened types "il sait toujours où je suis", not /espion. Routes are keyword rules in the
dialogues' YAML; this measures them on two labelled sets (tests/corpus/routing_*.txt): the routes were tuned on
the first, the second was written before any tuning and is never tuned on, so its figure is the honest one.
Each line goes through the engine's own step (the secret filter, then the routes), in the line's language, from
a fresh conversation: the dialogue it opens is compared with its label. Prints figures only.

    python -m bench.routing [--misses]

The corpus and the score are tests/support/routing_corpus.py, shared with tests/test_routing_corpus.py.
"""

from __future__ import annotations

import argparse

from bot.app import load_content
from tests.support.paths import ROOT
from tests.support.routing_corpus import SETS, read_set, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every line routed wrong")
    args = parser.parse_args()
    content = load_content(ROOT / "dialogues", ROOT / "locales")
    for name, path in SETS.items():
        found = score(content, read_set(path))
        print(
            f"{name:9} worried lines routed right: {found.worried_right}/{found.worried} ({found.share_right:.1%}); "
            f"ordinary lines to an abuse flow: {found.ordinary_to_abuse}/{found.ordinary}"
        )
        if args.misses:
            for miss in found.misses:
                print(f"    {miss}")


if __name__ == "__main__":
    main()
