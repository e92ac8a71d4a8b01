"""What the code base must not lean on: library internals that an upgrade can change
silently, and a domain that knows which concrete channel layer runs it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    *sorted((ROOT / "chatcore").rglob("*.py")),
    *sorted((ROOT / "chatui").rglob("*.py")),
    *sorted((ROOT / "static").rglob("*.js")),
    *sorted((ROOT / "templates").rglob("*.html")),
]

FORBIDDEN = [
    pytest.param(re.compile(r"\bre\._parser\b|\bre\._constants\b|\bsre_parse\b|\bsre_constants\b"), id="regex_internals"),
    pytest.param(re.compile(r"htmx-internal-data"), id="htmx_internal_data"),
    pytest.param(re.compile(r"getInternalData"), id="htmx_internal_api"),
]  # fmt: skip


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_sources_are_found() -> None:
    names = {_relative(path) for path in SOURCES}
    assert {"chatcore/contract.py", "static/js/components.js", "chatui/consumers.py"} <= names


@pytest.mark.parametrize("pattern", FORBIDDEN)
def test_no_library_internals(pattern: re.Pattern[str]) -> None:
    hits = [
        f"{_relative(path)}:{number}"
        for path in SOURCES
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if pattern.search(line)
    ]
    assert hits == []


# The domain may ask Channels for "the" layer (``get_channel_layer``), never name one;
# nor hook the web server it happens to run in.
_CONCRETE_LAYER = re.compile(
    r"InMemoryChannelLayer|RedisChannelLayer|RedisPubSubChannelLayer|channels_redis|twisted"
)


def test_the_domain_knows_no_concrete_channel_layer_nor_server() -> None:
    hits = [
        f"{_relative(path)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "chatcore").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if _CONCRETE_LAYER.search(line)
    ]
    assert hits == []
