"""`python -m bot` (or `gaffe`): run Gaffe on Telegram when TELEGRAM_BOT_TOKEN is set, else in the terminal.

Other commands: `console` (the terminal chat), `check` (validate the content), `graph DIALOGUE`
(a Mermaid flowchart), `telegram` (insist on Telegram), `update-data` (download the public data looked up).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.authoring.check import ContentError, check_content, load_content
from bot.authoring.graph import mermaid
from bot.config import Settings
from bot.core.i18n import LANGUAGES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gaffe", description="Gaffe, the personal-security bot.")
    commands = parser.add_subparsers(dest="command")
    console = commands.add_parser("console", help="chat with Gaffe in the terminal")
    console.add_argument("--lang", choices=LANGUAGES, help="language of the conversation")
    console.add_argument("--user", type=int, default=0, help="local user id (default 0)")
    commands.add_parser("telegram", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    check = commands.add_parser("check", help="validate dialogues and translations")
    check.add_argument("--dialogues", type=Path, help="dialogues folder (default: dialogues/)")
    check.add_argument("--locales", type=Path, help="locales folder (default: locales/)")
    graph = commands.add_parser("graph", help="print a Mermaid flowchart of a dialogue")
    graph.add_argument("dialogue")
    commands.add_parser("schema", help="write dialogues/actions.schema.json from the registered actions")

    commands.add_parser("update-data", help="download the stalkerware indicators and the breach catalogue")
    parser.add_argument("--lang", choices=LANGUAGES, help="language of the terminal chat")
    return parser


async def _console(settings: Settings, language: str | None, user_id: int) -> None:
    from bot.adapters.console import chat
    from bot.service import Gaffe

    gaffe = await Gaffe.open(settings)
    try:
        await chat(gaffe, language, user_id, files_dir=settings.database.parent / "gaffe-files")
    finally:
        await gaffe.close()


def _telegram(settings: Settings) -> int:
    from telegram.error import InvalidToken

    from bot.adapters.telegram import run
    from bot.logs import setup_logging

    setup_logging(settings.token)
    try:
        run(settings)
    except ContentError:
        raise
    except InvalidToken:
        logging.getLogger("gaffe").error("Telegram rejected the token: check TELEGRAM_BOT_TOKEN")
        return 1
    except Exception:  # logged through the redacting handler: an error may quote the token
        logging.getLogger("gaffe").exception("Gaffe stopped on an error")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        if args.command == "check":
            dialogues = args.dialogues or settings.dialogues_dir
            _, problems = check_content(dialogues, args.locales or settings.locales_dir)
            for problem in problems:
                print(problem)
            if not problems:
                print(f"{dialogues}: all good")
            return 1 if problems else 0
        if args.command == "schema":
            from bot.authoring.check import features_registry
            from bot.authoring.schema import refresh

            changed = refresh(settings.dialogues_dir, features_registry())
            print(f"{settings.dialogues_dir / 'actions.schema.json'}: {'written' if changed else 'up to date'}")
            return 0
        if args.command == "graph":
            content = load_content(settings.dialogues_dir, settings.locales_dir)
            if args.dialogue not in content.dialogues:
                print(
                    f"no dialogue '{args.dialogue}' (there are: {', '.join(sorted(content.dialogues))})",
                    file=sys.stderr,
                )
                return 2
            print(mermaid(content.dialogues[args.dialogue]), end="")
            return 0
        if args.command == "update-data":
            from bot.lookups.update import update_data

            return asyncio.run(update_data(settings))
        if args.command == "telegram" or (args.command is None and settings.token):
            if not settings.token:
                print("TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
                return 2
            return _telegram(settings)
        asyncio.run(_console(settings, args.lang, getattr(args, "user", 0)))
        return 0
    except ContentError as error:
        print("Gaffe refuses to start: the content has problems.", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
