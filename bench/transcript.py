"""Transcript benchmark: a 200-message chat rendered as the page renders it, against a floor.

    .venv/bin/python bench/transcript.py [--messages 200] [--rounds 7]

What is timed, in one process on a throwaway SQLite database: the chat page's
transcript (``chatui.live.render_transcript``: the database read, every answer
rendered as markdown with highlighted code and sanitised, the message
templates), first with the rendered-answer cache empty (a process that has
never shown these answers) and then warm (every later render: a reconnect, the
end of each turn). The floor is the cheapest honest way to do the same work:
markdown-it rendering each answer's text once (no sanitising, no highlighting,
no database, no templates). Medians of ``--rounds`` rounds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="bench-transcript-")
os.environ.update(
    DJANGO_SETTINGS_MODULE="chatui.settings",
    DJANGO_SECRET_KEY="bench-" + uuid.uuid4().hex,
    SQLITE_PATH=str(Path(_tmp) / "bench.sqlite3"),
    CHAT_RUNNER="external",
    LOG_LEVEL="WARNING",
)
for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_DEBUG", "CHAT_DEMO"):
    os.environ.pop(name, None)

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from markdown_it import MarkdownIt  # noqa: E402

from chatcore.chats import create_chat  # noqa: E402
from chatcore.fakeprovider import DEMO_ANSWER  # noqa: E402
from chatcore.models import ChatMessage, MessageRole, Provider, text_parts  # noqa: E402
from chatui import live, markdown  # noqa: E402


def _answer(n: int) -> str:
    """An answer as models write them: prose, a list, code, a table (each one distinct)."""
    return f"Answer {n}.\n\n{DEMO_ANSWER}\n\n```js\nconst n = {n};\n```\n"


def _chat(messages: int) -> int:
    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password=uuid.uuid4().hex)
    provider = Provider.objects.create(name="bench", kind="fake", models=["bench"])
    chat = create_chat(owner=user, provider=provider, model="bench")
    rows = []
    for n in range(messages // 2):
        rows.append(ChatMessage(chat=chat, role=MessageRole.USER, content=text_parts(f"Q{n}?")))
        rows.append(
            ChatMessage(chat=chat, role=MessageRole.ASSISTANT, content=text_parts(_answer(n)))
        )
    ChatMessage.objects.bulk_create(rows)
    return chat.pk


def _timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def main(messages: int, rounds: int) -> None:
    chat_id = _chat(messages)
    view = live.ChatView(chat_id=chat_id)
    answers = [_answer(n) for n in range(messages // 2)]
    floor_md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    cold, warm, floor = [], [], []
    for _ in range(rounds):
        markdown._RENDERED = markdown._Cache(markdown._RENDERED.max_chars)  # an empty cache
        cold.append(_timed(lambda: live.render_transcript(view)))
        warm.append(_timed(lambda: live.render_transcript(view)))
        floor.append(_timed(lambda: [floor_md.render(text) for text in answers]))
    html = live.render_transcript(view)
    assert html.count("data-code-block") == messages // 2 * 2, "every code block rendered"
    cold_ms, warm_ms, floor_ms = (1000 * statistics.median(x) for x in (cold, warm, floor))
    print(f"{messages} messages ({messages // 2} answers with a list, a table and 2 code blocks)")
    print(f"floor (markdown-it alone):  {floor_ms:8.1f} ms")
    print(f"transcript, cold cache:     {cold_ms:8.1f} ms   {cold_ms / floor_ms:5.2f}x the floor")
    print(f"transcript, warm cache:     {warm_ms:8.1f} ms   {warm_ms / floor_ms:5.2f}x the floor")
    print(f"load average: {os.getloadavg()[0]:.2f} (medians of {rounds} rounds)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200, help="messages in the chat")
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (median printed)")
    arguments = parser.parse_args()
    main(arguments.messages, arguments.rounds)
