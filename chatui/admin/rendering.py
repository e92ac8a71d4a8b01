"""HTML the admin pages share: the kind pill of the live UI and escaped JSON blocks."""

from __future__ import annotations

import json

from django.contrib.admin.utils import display_for_value
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString

from chatcore.errors import kind_label

__all__ = ["http_status", "json_block", "kind_pill", "yes_no"]


def http_status(code: int) -> int | None:
    """A stored status for display: None (the admin's "-") when there was none (0)."""
    return code or None


def yes_no(value: bool) -> str:
    """The admin's yes/no icon, as a ``boolean=True`` column draws it."""
    return display_for_value(value, "", boolean=True)


def kind_pill(kind: str) -> SafeString:
    """The humanised kind pill, from the same partial the live UI renders."""
    return SafeString(
        render_to_string("components/kind_pill.html", {"kind": kind, "label": kind_label(kind)})
    )


def json_block(value: object) -> SafeString:
    """A stored JSON value, pretty-printed and escaped (it holds provider text)."""
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return format_html('<pre class="json-block" data-json-block>{}</pre>', text)
