"""AttemptBuffer: a failed attempt's streamed parts are discarded, never committed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chatcore.errors import ClassifiedError, ProviderTransportReset
from chatcore.retry import AttemptBuffer, run_with_retry
from tests.chatcore.retry.scripted import RecordingSleep


def test_discard_drops_a_failed_attempts_parts_and_the_next_attempt_starts_clean() -> None:
    buffer: AttemptBuffer[str] = AttemptBuffer()
    buffer.begin(1)
    buffer.add("The answer")
    buffer.add(" is")
    assert buffer.parts == ("The answer", " is")
    assert buffer.discard() == 2
    buffer.begin(2)
    assert (buffer.attempt, buffer.parts) == (2, ())
    buffer.add("42")
    assert buffer.commit() == ["42"]
    assert (buffer.parts, buffer.is_open) == ((), False)


def test_begin_without_discard_still_starts_clean() -> None:
    buffer: AttemptBuffer[str] = AttemptBuffer()
    buffer.begin(1)
    buffer.add("stale")
    buffer.begin(2)
    assert buffer.parts == ()


@pytest.mark.parametrize(
    "misuse",
    [
        pytest.param(lambda b: b.add("x"), id="add_before_begin"),
        pytest.param(lambda b: b.commit(), id="commit_before_begin"),
        pytest.param(lambda b: (b.begin(1), b.commit(), b.commit()), id="commit_twice"),
        pytest.param(lambda b: (b.begin(1), b.discard(), b.add("x")), id="add_after_discard"),
    ],
)
def test_parts_outside_an_open_attempt_are_refused(
    misuse: Callable[[AttemptBuffer[str]], object],
) -> None:
    with pytest.raises(RuntimeError):
        misuse(AttemptBuffer())


def test_attempts_are_one_based() -> None:
    with pytest.raises(ValueError, match="1-based"):
        AttemptBuffer().begin(0)


async def test_with_the_loop_only_the_succeeded_attempts_text_is_committed_once() -> None:
    """The runner's protocol: deltas, then `retry` as the rollback boundary, then `done`."""
    buffer: AttemptBuffer[str] = AttemptBuffer()
    events: list[tuple[str, int, str]] = []
    streams = {1: ["Par", "tial"], 2: ["Full ", "answer"]}

    async def attempt(number: int) -> list[str]:
        buffer.begin(number)
        for part in streams[number]:
            buffer.add(part)
            events.append(("delta", number, part))
        if number == 1:
            raise ProviderTransportReset("peer closed connection mid-stream")
        return buffer.commit()

    def on_retry(number: int, error: BaseException, c: ClassifiedError, delay: float) -> None:
        dropped = buffer.discard()
        events.append(("retry", number, f"dropped {dropped}"))

    committed = await run_with_retry(attempt, sleep=RecordingSleep(), on_retry=on_retry)
    assert committed == ["Full ", "answer"]
    assert events == [
        ("delta", 1, "Par"),
        ("delta", 1, "tial"),
        ("retry", 1, "dropped 2"),
        ("delta", 2, "Full "),
        ("delta", 2, "answer"),
    ]
