"""Properties that hold for any input: classify never raises and never leaks a key."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from chatcore.errors import ErrorKind, ProviderError, classify
from chatcore.errors._classify import _classify

FAKE_KEY = "sk-test-1234567890abcdef"
KINDS = {kind.value for kind in ErrorKind} | {""}

# Text biased towards the vocabulary the classifier looks for, so the rules fire.
WORDS = st.sampled_from(
    ["status", "429", "503", "529", "401", "rate limit", "quota", "overloaded", "timeout",
     "model not found", "stream ID 3;", "PROTOCOL_ERROR", "http", ":", "127.0.0.1:503",
     "Retry-After", "try again in 3s", "{", "}", '"error"', '"message"', "\n\n", "HTTP/1.1 ",
     "Error code: 500 - ", "sk-", "Bearer ", "key=", "https://", "…", "\x00", "é"]
)  # fmt: skip
TEXT = st.one_of(
    st.text(max_size=300), st.lists(WORDS | st.text(max_size=8), max_size=40).map(" ".join)
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["error", "message", "code", "type", "status", "details"]) | st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
BODY = st.one_of(
    st.none(),
    st.binary(max_size=300),
    TEXT,
    JSONISH.map(json.dumps),
    JSONISH.map(lambda v: json.dumps(v).encode()),
)
HEADERS = st.dictionaries(
    st.sampled_from(["Retry-After", "retry-after-ms", "RETRY-AFTER", "x-amzn-ErrorType"]) | st.text(max_size=12),
    st.text(max_size=40) | st.floats(allow_nan=True).map(str) | st.integers().map(str),
    max_size=4,
)  # fmt: skip
STATUS = st.none() | st.integers(min_value=-10, max_value=1000)


@st.composite
def errors(draw: st.DrawFn) -> BaseException | str | None:
    """A string, None, a ProviderError, or a chain/group of exceptions built from those."""
    leaf: st.SearchStrategy[BaseException] = st.one_of(
        st.builds(ProviderError, TEXT, status_code=STATUS, headers=HEADERS, body=BODY, provider=st.none() | TEXT),
        TEXT.map(RuntimeError),
        st.sampled_from([ConnectionResetError(), TimeoutError(), EOFError()]),
    )  # fmt: skip
    shape = draw(st.sampled_from(["text", "none", "leaf", "chain", "group"]))
    if shape == "text":
        return draw(TEXT)
    if shape == "none":
        return None
    first = draw(leaf)
    if shape == "leaf":
        return first
    if shape == "group":
        return ExceptionGroup("group", [first, *draw(st.lists(leaf, min_size=1, max_size=3))])
    current = first
    for link in draw(st.lists(leaf, min_size=1, max_size=4)):
        if draw(st.booleans()):
            link.__cause__ = current
        else:
            link.__context__ = current
        current = link
    return current


def _check(error: BaseException | str | None, provider: str | None) -> None:
    # `classify` has a last-resort guard; the real work must not need it.
    _classify(error, provider)
    got = classify(error, provider=provider)
    assert len(got.detail) <= 500
    assert got.retry_after >= 0
    assert got.kind in KINDS
    assert isinstance(got.kind, ErrorKind) or got.kind == ""


@settings(max_examples=300, deadline=None)
@given(errors(), st.none() | TEXT)
def test_classify_never_raises_and_keeps_its_bounds(
    error: BaseException | str | None, provider: str | None
) -> None:
    _check(error, provider)


@settings(max_examples=200, deadline=None)
@given(TEXT, TEXT, st.sampled_from(["text", "message", "body", "bytes", "nested", "header"]))
def test_a_fake_key_never_comes_back(before: str, after: str, where: str) -> None:
    text = f"{before}{FAKE_KEY}{after}"
    error: BaseException | str
    if where == "text":
        error = text
    elif where == "message":
        error = ProviderError(text, status_code=400)
    elif where == "body":
        error = ProviderError("x", status_code=400, body=json.dumps({"error": {"message": text}}))
    elif where == "bytes":
        error = ProviderError("", status_code=502, body=text.encode())
    elif where == "header":
        error = ProviderError(text, headers={"Authorization": f"Bearer {FAKE_KEY}"})
    else:
        inner = ProviderError("x", body=json.dumps({"message": text}))
        error = RuntimeError(before)
        error.__cause__ = inner
    got = classify(error)
    assert FAKE_KEY not in got.message
    assert FAKE_KEY not in got.detail
