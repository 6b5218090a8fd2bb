"""Chat with Gaffe in a terminal, on the same dialogues and database as the Telegram bot.

Like `rasa shell`: Gaffe's messages are printed, choices are numbered, and you type a number, some
text, or a command. It reads standard input line by line, so it can be scripted through a pipe, and
it ends cleanly at end of input. Restarting it continues where the last run stopped. Files a reply
carries (a chart, an export) are written to a folder and their path is printed.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from bot.core import html_text
from bot.core.engine import Choose, Command, Input, Press, Push, Text
from bot.core.render import Reply
from bot.scheduler import Scheduler
from bot.service import Gaffe

CONSOLE_USER_ID = 0  # Telegram ids are positive: the terminal user never collides with one


MAX_CHOICE_DIGITS = 3  # a longer number is never a choice: it may be a PIN or a card number


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
        buttons = shown.buttons
        if buttons and isinstance(buttons[0].press, Press) and 1 <= number <= len(buttons):
            return buttons[number - 1].press  # a pushed message's buttons (a reminder's "Done")
        return Choose(number)  # a choice of the question waiting now
    return Text(text)  # longer numbers too: they may be a PIN or a card, which the engine refuses


class Terminal:
    """Shows replies, remembers the buttons on screen, saves files."""

    def __init__(self, out: TextIO, files_dir: Path) -> None:
        self.out = out
        self.files_dir = files_dir
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
            self.files_dir.mkdir(parents=True, exist_ok=True)
            path = self.files_dir / attachment.filename
            path.write_bytes(attachment.data)
            caption = f" — {html_text.strip(attachment.caption)}" if attachment.caption else ""
            out.write(f"  [{path}]{caption}\n")
        for number, button in enumerate(reply.buttons, start=1):
            out.write(f"  {number}. {button.label}\n")
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
) -> None:
    """Run a conversation until end of input; reminders due meanwhile are shown as they come."""
    terminal = Terminal(out, files_dir)

    async def show(reply: Reply) -> None:
        if reply.clear_chat:  # "delete this conversation": the terminal keeps no chat of its own to delete
            nothing = gaffe.notice(await gaffe.language_of(user_id), "chat_nothing_to_delete")
            reply = replace(reply, text=f"{nothing}\n\n{reply.text}" if reply.text else nothing)
        await terminal.show(reply)

    hint = gaffe.notice(language or await gaffe.language_of(user_id), "console_hint")
    out.write(html_text.strip(hint) + "\n")
    await gaffe.start(user_id, language, show)

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
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            received = parse_line(line, terminal.shown)
            if received is not None:
                await gaffe.handle(user_id, received, show)
    finally:
        ticking.cancel()
    out.write("\n")


async def _every(seconds: float, tick: Callable[[], Awaitable[int]]) -> None:
    while True:
        await asyncio.sleep(seconds)
        await tick()
