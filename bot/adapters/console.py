"""Chat with Gaffe in a terminal, on the same dialogues and database as the Telegram bot.

Like `rasa shell`: Gaffe's messages are printed, choices are numbered, and you type a number, some
text, or a command. It reads standard input line by line, so it can be scripted through a pipe, and
it ends cleanly at end of input. Restarting it continues where the last run stopped.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.core import html_text
from bot.core.engine import Command, Input, Pick, State, Text
from bot.core.render import Reply, message
from bot.service import Gaffe

CONSOLE_USER_ID = 0  # Telegram ids are positive: the terminal user never collides with one


MAX_CHOICE_DIGITS = 3  # a longer number is never a choice: it may be a PIN or a card number


def parse_line(line: str, reply: Reply) -> Input | None:
    """What a typed line means: a command, a choice number for the shown question, or free text.

    Only a short number is a choice (one out of range gets "not on the list"); anything longer goes
    through as text, so that the secret filter sees a PIN or a card number typed at a menu."""
    text = line.strip()
    if not text:
        return None
    if text.startswith("/"):
        return Command(text[1:].split()[0].split("@")[0] if len(text) > 1 else "")
    if text.isdigit() and len(text) <= MAX_CHOICE_DIGITS and reply.labels and reply.step is not None:
        return Pick(reply.step, int(text) - 1)
    return Text(text)


def show(reply: Reply, out: TextIO) -> None:
    if reply.picked:
        out.write(f"  {html_text.strip(reply.picked)}\n")
    if reply.text:
        out.write("\n" + html_text.strip(reply.text) + "\n")
    for number, label in enumerate(reply.labels, start=1):
        out.write(f"  {number}. {label}\n")
    out.flush()


async def chat(
    gaffe: Gaffe,
    language: str | None = None,
    user_id: int = CONSOLE_USER_ID,
    stdin: TextIO = sys.stdin,
    out: TextIO = sys.stdout,
) -> None:
    """Run a conversation until end of input."""
    saved = await gaffe.store.load(user_id)
    state = saved or State(language=language or "fr")
    if saved is None or (language and language != state.language):
        state = await gaffe.set_language(user_id, language or state.language)
    translator = gaffe.translators[state.language]
    out.write(html_text.strip(message(gaffe.content, translator, "console_hint")) + "\n")
    if state.node:
        reply = gaffe.resume(state, notice=True)
        show(reply, out)
    else:
        _, reply = await gaffe.handle(user_id, Command("start"))
        show(reply, out)
    interactive = stdin.isatty()
    while True:
        if interactive:
            out.write("> ")
            out.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        received = parse_line(line, reply)
        if received is None:
            continue
        step, new_reply = await gaffe.handle(user_id, received)
        show(new_reply, out)
        if new_reply.labels or step.changed:
            reply = new_reply
    out.write("\n")
