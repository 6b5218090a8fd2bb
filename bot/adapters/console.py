"""Chat with Gaffe in a terminal, on the same dialogues and database as the Telegram bot.

Like `rasa shell`: Gaffe's messages are printed, choices are numbered, and you type a number, some
text, or a command. It reads standard input line by line, so it can be scripted through a pipe, and
it ends cleanly at end of input. Restarting it continues where the last run stopped. Files a reply
carries (a chart, an export) are written, readable by the user's account only, to their own folder (see
`bot.user_files`; `/oublie` removes it) and their path is printed.

It behaves like a terminal program: Ctrl+C, Ctrl+D, /quitter (/quit, /exit) and SIGTERM (`kill`, a closed
terminal session's manager) quit at once with a short goodbye and exit code 0 (standard input is read by a
daemon thread feeding the event loop, so a pending read never holds the exit, and SIGINT and SIGTERM are
loop signal handlers); `/start` typed first, right after the welcome, is not answered with it again; the
terminal says its own words (`console_…` messages: "type the number", not "use the buttons"); a closed
output (`| head -1`) ends it, quietly (see `bot.__main__`).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot import user_files
from bot.core import html_text
from bot.core.engine import Choose, Command, Input, Pick, Press, Push, Text
from bot.core.render import Link, Reply
from bot.scheduler import Scheduler
from bot.service import Gaffe

CONSOLE_USER_ID = 0  # Telegram ids are positive: the terminal user never collides with one
# Interface messages the terminal says whatever the dialogues (`check` requires them: bot/content/needed.py).
NEEDED_MESSAGES = ("console_hint", "console_database", "console_goodbye")


MAX_CHOICE_DIGITS = 3  # a longer number is never a choice: it may be a PIN or a card number


# Typed in the terminal, these end the chat as Ctrl+D does (like `rasa shell`'s /stop), before any dialogue's
# command of the same name: no shipped dialogue has one.
QUIT_COMMANDS = frozenset({"quitter", "quit", "exit"})


def parse_line(line: str, shown: Reply) -> Input | None:
    """What a typed line means: a command, a choice number of the buttons shown, or free text.

    Only a short number is a choice (one out of range gets "not on the list"); anything longer goes
    through as text, so that the secret filter sees a PIN or a card number typed at a menu."""
    text = line.strip()
    if not text:
        return None
    if text.startswith("/"):
        return Command(text[1:].split()[0].split("@")[0] if len(text) > 1 else "")
    if text.isdigit() and len(text) <= MAX_CHOICE_DIGITS:
        number = int(text)
        buttons = [b for b in shown.buttons if not isinstance(b.press, Link)]
        if buttons and isinstance(buttons[0].press, Press) and 1 <= number <= len(buttons):
            press = buttons[number - 1].press  # a pushed message's buttons (a reminder's "Done")
            return press if isinstance(press, Pick | Press) else None
        return Choose(number)  # a choice of the question waiting now
    return Text(text)  # longer numbers too: they may be a PIN or a card, which the engine refuses


class Terminal:
    """Shows replies, remembers the buttons on screen, saves files."""

    def __init__(self, out: TextIO, files_dir: Path, user_id: int) -> None:
        self.out = out
        self.files_dir = files_dir
        self.user_id = user_id
        self.shown = Reply()

    async def show(self, reply: Reply) -> None:
        out = self.out
        if reply.toast:
            out.write(f"  ({reply.toast})\n")
        if reply.picked:
            out.write(f"  {html_text.strip(reply.picked)}\n")
        if reply.text:
            out.write("\n" + html_text.strip(reply.text) + "\n")
        for attachment in reply.attachments:
            path = user_files.write(self.files_dir, self.user_id, attachment.filename, attachment.data)
            caption = f" — {html_text.strip(attachment.caption)}" if attachment.caption else ""
            out.write(f"  [{path}]{caption}\n")
        choices = [b for b in reply.buttons if not isinstance(b.press, Link)]
        for number, button in enumerate(choices, start=1):
            out.write(f"  {number}. {button.label}\n")
        for button in reply.buttons:
            if isinstance(button.press, Link):  # a site: the terminal shows its address (no number to type)
                out.write(f"  ↗ {button.label} : {button.press.url}\n")
        out.flush()
        if reply.buttons:
            self.shown = reply


async def chat(
    gaffe: Gaffe,
    language: str | None = None,
    user_id: int = CONSOLE_USER_ID,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
    files_dir: Path = Path("gaffe-files"),
    tick_seconds: float = 60.0,
    database: Path | None = None,
) -> None:
    """Run a conversation until end of input or Ctrl+C; reminders due meanwhile are shown as they come.

    A closed output raises BrokenPipeError out of here (the caller silences it); the step that was
    being answered is saved all the same."""
    gaffe.variant = "console"  # the terminal's own words, where messages.yaml has a `console_` variant
    gaffe.files = files_dir  # so that /oublie removes the files written here for the user
    terminal = Terminal(out, files_dir, user_id)

    async def show(reply: Reply) -> None:
        if reply.clear_chat:  # "delete this conversation": the terminal keeps no chat of its own to delete
            nothing = gaffe.notice(await gaffe.language_of(user_id), "chat_nothing_to_delete")
            reply = replace(reply, text=f"{nothing}\n\n{reply.text}" if reply.text else nothing)
        await terminal.show(reply)

    lines = _Lines(stdin)
    interrupted = _on_interrupt(lines.interrupt)  # before anything is shown: a signal then ends the chat too
    spoken = language or await gaffe.language_of(user_id)
    if database is not None:
        out.write(html_text.strip(gaffe.notice(spoken, "console_database", path=database)) + "\n")
    out.write(html_text.strip(gaffe.notice(spoken, "console_hint")) + "\n")
    welcomed = await gaffe.start(user_id, language, show)

    async def push(user: int, message: Push) -> bool:
        return await gaffe.push(user, message, show)

    async def send(user: int, reply: Reply) -> None:
        await show(reply)

    scheduler = Scheduler(gaffe, push, send, only_user=user_id)
    ticking = asyncio.create_task(_every(tick_seconds, scheduler.tick))
    try:
        interactive = stdin.isatty()
        while True:
            await scheduler.tick()  # at start, and before each line: what fell due meanwhile
            if interactive:
                out.write("> ")
                out.flush()
            line = await lines.next()
            if line is None:
                break
            received = parse_line(line, terminal.shown)
            if isinstance(received, Command) and received.name in QUIT_COMMANDS:
                break
            if welcomed and received == Command("start"):  # the welcome is on screen already: not twice
                welcomed = False
                continue
            if received is not None:
                welcomed = False
                await gaffe.handle(user_id, received, show)
    finally:
        ticking.cancel()
        interrupted()
    goodbye = gaffe.notice(await gaffe.language_of(user_id, spoken), "console_goodbye")
    out.write("\n" + html_text.strip(goodbye) + "\n")
    out.flush()


class _Lines:
    """Standard input, line by line, without ever blocking the event loop or the exit.

    A daemon thread does the blocking reads (a tty, a pipe, a file, /dev/null alike) and hands each line
    to the loop; a read pending when the user quits dies with the process instead of waiting for Enter.
    It reads the file descriptor itself, so it holds no lock of `sys.stdin` at interpreter shutdown."""

    END = object()

    def __init__(self, stdin: TextIO) -> None:
        self._queue: asyncio.Queue[str | object] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        try:
            fd: int | None = stdin.fileno()
        except (OSError, ValueError, AttributeError):  # a StringIO (tests): no descriptor to read
            fd = None
        target = self._read_fd if fd is not None else self._read_text
        threading.Thread(target=target, args=(fd if fd is not None else stdin,), daemon=True).start()

    def interrupt(self) -> None:
        self._queue.put_nowait(self.END)

    async def next(self) -> str | None:
        line = await self._queue.get()
        if line is self.END:
            self._queue.put_nowait(self.END)  # stays ended
            return None
        return str(line)

    def _hand(self, item: str | object) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the chat is over anyway
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)

    def _read_fd(self, fd: int) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        try:
            while chunk := os.read(fd, 65536):
                pending += decoder.decode(chunk)
                *complete, pending = pending.split("\n")
                for line in complete:
                    self._hand(line + "\n")
        except OSError:
            pass
        pending += decoder.decode(b"", final=True)
        if pending:  # a last line without a newline (or Ctrl+D after some text)
            self._hand(pending)
        self._hand(self.END)

    def _read_text(self, stdin: TextIO) -> None:
        for line in iter(stdin.readline, ""):
            self._hand(line)
        self._hand(self.END)


def _on_interrupt(quit_chat: Callable[[], None]) -> Callable[[], None]:
    """Make Ctrl+C and SIGTERM end the chat like end of input; returns what puts the default behaviour back."""
    loop = asyncio.get_running_loop()
    try:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, quit_chat)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or not Unix: KeyboardInterrupt
        return lambda: None

    def restore() -> None:
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signal_number)

    return restore


async def _every(seconds: float, tick: Callable[[], Awaitable[int]]) -> None:
    while True:
        await asyncio.sleep(seconds)
        await tick()
