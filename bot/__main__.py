"""`python -m bot` (or `gaffe`): run Gaffe on Telegram when TELEGRAM_BOT_TOKEN is set, else in the terminal.

Other commands: `console` (the terminal chat), `check` (validate the content), `graph DIALOGUE`
(a Mermaid flowchart), `telegram` (insist on Telegram), `backup PATH` and `restore PATH` (the database),
`update-data` (download the public data looked up), `schema` (write dialogues/actions.schema.json),
`preview [OUT]` (every dialogue as a static site, for writers: bot/authoring/preview.py).
A start-up problem (`StartupError`) is printed as two lines, cause and fix, with exit code 1.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import sys
from importlib import metadata
from pathlib import Path

from bot.app import check_content, load_content
from bot.authoring.check import ContentError
from bot.authoring.graph import mermaid
from bot.config import ENVIRONMENT, Settings
from bot.core.i18n import LANGUAGES
from bot.errors import StartupError


def _version() -> str:
    try:
        return metadata.version("gaffe")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def _settings_help() -> str:
    width = max(len(name) for name, _ in ENVIRONMENT)
    lines = [f"  {name:<{width}}  {meaning}" for name, meaning in ENVIRONMENT]
    return "settings, read from environment variables (the terminal chat needs none):\n" + "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    # Shared options are accepted before or after the subcommand (`--lang en console` and
    # `console --lang en`); SUPPRESS keeps a subcommand from resetting what was given before it.
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=argparse.SUPPRESS,
        help="language of the terminal chat, saved: later runs keep it until another --lang or /langue",
    )
    shared.add_argument("--user", type=int, default=argparse.SUPPRESS, help="local user id (default 0)")
    parser = argparse.ArgumentParser(
        prog="gaffe",
        description="Gaffe, the personal-security bot.\nWithout a subcommand: the Telegram bot when "
        "TELEGRAM_BOT_TOKEN is set, else a chat in this terminal.",
        epilog=_settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[shared],
    )
    parser.add_argument("--version", action="version", version=f"gaffe {_version()}")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("console", help="chat with Gaffe in the terminal", parents=[shared])
    commands.add_parser("telegram", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    check = commands.add_parser("check", help="validate dialogues and translations")
    check.add_argument("--dialogues", type=Path, help="dialogues folder (default: GAFFE_DIALOGUES or the bundled one)")
    check.add_argument("--locales", type=Path, help="locales folder (default: GAFFE_LOCALES or the bundled one)")
    graph = commands.add_parser("graph", help="print a Mermaid flowchart of a dialogue")
    graph.add_argument("dialogue")
    backup = commands.add_parser("backup", help="copy the live database (GAFFE_DB) to PATH, consistently")
    backup.add_argument(
        "path",
        help="the copy to write, a new file (an existing one is never replaced); or a folder, ending in / (created if"
        " missing), for a new dated file inside it",
    )
    restore = commands.add_parser("restore", help="replace the database (GAFFE_DB) with a checked backup")
    restore.add_argument("path", type=Path, help="the backup to restore")
    commands.add_parser("update-data", help="download the stalkerware indicators and the breach catalogue")
    commands.add_parser("schema", help="write dialogues/actions.schema.json from the registered actions")
    preview = commands.add_parser("preview", help="write every dialogue as a static site (open OUT/index.html)")
    preview.add_argument("out", type=Path, nargs="?", default=Path("preview"), help="the folder (default: preview)")
    return parser


async def _console(settings: Settings, language: str | None, user_id: int) -> None:
    from bot.adapters.console import chat
    from bot.app import open_gaffe

    gaffe = await open_gaffe(settings, limits=None)  # one local user: no abuse limits (a pipe may be fast)
    try:
        files = settings.database.parent / "gaffe-files"
        await chat(
            gaffe, language, user_id, files_dir=files, tick_seconds=settings.reminder_check_seconds,
            database=settings.database.resolve(),
        )  # fmt: skip
    finally:
        await gaffe.close()


def _reported_below(record: logging.LogRecord) -> bool:
    """python-telegram-bot's log of a start-up failure that `_telegram` reports in two lines: a rejected token,
    or the Bot API unreachable when the bot starts (its retry loop logs it with a traceback, then gives up)."""
    from telegram.error import InvalidToken, NetworkError

    error = record.exc_info[1] if record.exc_info else None
    return isinstance(error, InvalidToken) or (isinstance(error, NetworkError) and "Bootstrap" in record.getMessage())


def _telegram(settings: Settings) -> int:
    from telegram.error import InvalidToken, NetworkError

    from bot.adapters.telegram import run
    from bot.logs import setup_logging

    setup_logging(settings.token)
    for handler in logging.getLogger().handlers:  # reported below in two lines, without PTB's traceback
        handler.addFilter(lambda record: not _reported_below(record))
    try:
        run(settings)
    except (ContentError, StartupError):
        raise
    except InvalidToken:
        raise StartupError(
            "Telegram rejected the token: check TELEGRAM_BOT_TOKEN",
            "TELEGRAM_BOT_TOKEN",
            "Copy the token @BotFather gave you into TELEGRAM_BOT_TOKEN.",
        ) from None
    except NetworkError as error:  # at start-up only: once running, python-telegram-bot retries on its own
        raise StartupError(
            f"cannot reach the Telegram Bot API at {settings.api_url.removesuffix('/bot')} ({error.message})",
            "TELEGRAM_API_URL",
            "Check the network (and HTTPS_PROXY if there is one), or TELEGRAM_API_URL; then start Gaffe again.",
        ) from None
    except OSError as error:  # the webhook server could not listen
        where = f"{settings.webhook_listen}:{settings.webhook_port}"
        if error.errno == errno.EADDRINUSE:
            raise StartupError(
                f"the webhook port {where} is already in use",
                "GAFFE_WEBHOOK_PORT",
                "Set GAFFE_WEBHOOK_PORT to a free port.",
            ) from None
        if error.errno == errno.EACCES:
            raise StartupError(
                f"not allowed to listen on {where}",
                "GAFFE_WEBHOOK_PORT",
                "Set GAFFE_WEBHOOK_PORT to a port above 1023.",
            ) from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise StartupError(
                f"this machine has no address {settings.webhook_listen}",
                "GAFFE_WEBHOOK_LISTEN",
                "Set GAFFE_WEBHOOK_LISTEN to one of its addresses (127.0.0.1 behind a reverse proxy).",
            ) from None
        logging.getLogger("gaffe").exception("Gaffe stopped on an error")
        return 1
    except Exception:  # logged through the redacting handler: an error may quote the token
        logging.getLogger("gaffe").exception("Gaffe stopped on an error")
        return 1
    return 0


def _operation(args: argparse.Namespace, settings: Settings) -> int:
    from bot import backup

    if args.command == "backup":
        print(backup.backup(settings.database, args.path))
    else:
        print(backup.restore(args.path, settings.database))
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.command == "check":
        dialogues = args.dialogues or settings.dialogues_dir
        _, problems = check_content(dialogues, args.locales or settings.locales_dir)
        for problem in problems:
            print(problem)
        if not problems:
            print(f"{dialogues}: all good")
        return 1 if problems else 0
    if args.command in {"backup", "restore"}:
        return _operation(args, settings)
    if args.command == "update-data":
        from bot.app import update_data

        return asyncio.run(update_data(settings))
    if args.command == "schema":
        from bot.app import registry
        from bot.authoring.schema import refresh

        changed = refresh(settings.dialogues_dir, registry())
        print(f"{settings.dialogues_dir / 'actions.schema.json'}: {'written' if changed else 'up to date'}")
        return 0
    settings.require_content()
    if args.command == "preview":
        return _preview(settings, args.out)
    if args.command == "graph":
        content = load_content(settings.dialogues_dir, settings.locales_dir)
        if args.dialogue not in content.dialogues:
            print(f"no dialogue '{args.dialogue}' (there are: {', '.join(sorted(content.dialogues))})", file=sys.stderr)
            return 2
        print(mermaid(content.dialogues[args.dialogue]), end="")
        return 0
    if args.command == "telegram" or (args.command is None and settings.token):
        if not settings.token:
            raise StartupError("TELEGRAM_BOT_TOKEN is not set", "TELEGRAM_BOT_TOKEN", "Set TELEGRAM_BOT_TOKEN.")
        return _telegram(settings)
    asyncio.run(_console(settings, getattr(args, "lang", None), getattr(args, "user", 0)))
    return 0


def _preview(settings: Settings, out: Path) -> int:
    """The static site of every dialogue; with content problems, an index that lists them (exit 1)."""
    from bot.authoring.preview import PreviewError, build, index_page, write_site
    from bot.core.i18n import load_translators

    content, problems = check_content(settings.dialogues_dir, settings.locales_dir)
    translators = load_translators(settings.locales_dir)
    pages = build(content, translators) if content else [index_page(None, translators, [str(p) for p in problems])]
    try:
        write_site(out, pages)
    except PreviewError as error:
        print(f"gaffe preview: {error}", file=sys.stderr)
        return 2
    if content is None:
        print(f"{out / 'index.html'}: content problems")
        return 1
    print(f"{out / 'index.html'}: {len(content.dialogues)} dialogues in {len(content.regions.regions)} regions")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except StartupError as error:
        doing = f"gaffe {args.command}" if args.command in {"backup", "restore"} else "Gaffe can't start"
        for line in error.lines(doing):
            print(line, file=sys.stderr)
        return 1
    except ContentError as error:
        print("Gaffe refuses to start: the content has problems.", file=sys.stderr)
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print("Fix them (python -m bot check lists them), or set GAFFE_DIALOGUES/GAFFE_LOCALES.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the output was closed (`gaffe | head -1`): end quietly, like other tools
        # Python flushes stdout again at exit: point it at /dev/null so that flush can't complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
