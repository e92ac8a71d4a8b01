"""Model fallback selection: one row per rule, the route a turn follows, the prose."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

import chatcore.health
from chatcore.contract import ChatRetry
from chatcore.health.fallback import (
    Fallback,
    FallbackReason,
    FallbackRule,
    ModelRoute,
    fallback_message,
    select_fallback,
)
from tests.public_api import assert_all_is_complete

ROOT = Path(__file__).resolve().parents[3]

SONNET, HAIKU, OPUS = "claude-sonnet", "claude-haiku", "claude-opus"


def rule(to_model: str, *, model: str = SONNET, position: int = 0, **flags: object) -> FallbackRule:
    return FallbackRule(model=model, to_model=to_model, position=position, **flags)  # type: ignore[arg-type]


OVERLOAD_TO_HAIKU = rule(HAIKU)
CONTEXT_TO_OPUS = rule(OPUS, position=1, on_overloaded=False, on_context_length=True)
RATE_TO_HAIKU = rule(HAIKU, on_overloaded=False, on_rate_limit=True)

# (rules, kind, attempts on the model, breaker open, tried) -> expected
CASES = [
    pytest.param((), "overloaded", 5, False, (), None, id="no_rules_no_fallback"),
    pytest.param(
        (OVERLOAD_TO_HAIKU,), "overloaded", 1, False, (), None, id="overloaded_waits_after_attempts"
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU,),
        "overloaded",
        2,
        False,
        (),
        Fallback(SONNET, HAIKU, FallbackReason.OVERLOADED),
        id="overloaded_after_attempts_switches",
    ),
    pytest.param(
        (rule(HAIKU, after_attempts=0),),
        "overloaded",
        1,
        False,
        (),
        Fallback(SONNET, HAIKU, FallbackReason.OVERLOADED),
        id="after_attempts_zero_means_after_the_first",
    ),
    pytest.param(
        (rule(HAIKU, on_overloaded=False),), "overloaded", 9, False, (), None,
        id="overloaded_off_never_switches",
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU,),
        "timeout",
        2,
        True,
        (),
        Fallback(SONNET, HAIKU, FallbackReason.BREAKER_OPEN),
        id="open_breaker_switches_whatever_the_kind",
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU,),
        "",
        0,
        True,
        (),
        Fallback(SONNET, HAIKU, FallbackReason.BREAKER_OPEN),
        id="open_breaker_switches_before_any_attempt_of_the_turn",
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU,), "timeout", 9, False, (), None, id="timeout_is_no_reason_to_switch"
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU, CONTEXT_TO_OPUS),
        "context_length",
        1,
        False,
        (),
        Fallback(SONNET, OPUS, FallbackReason.CONTEXT_LENGTH),
        id="context_length_switches_at_once_to_the_first_opted_in",
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU,), "context_length", 3, False, (), None,
        id="context_length_needs_on_context_length",
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU, CONTEXT_TO_OPUS),
        "context_length",
        1,
        True,
        (),
        Fallback(SONNET, OPUS, FallbackReason.CONTEXT_LENGTH),
        id="context_length_beats_an_open_breaker",
    ),
    pytest.param(
        (OVERLOAD_TO_HAIKU,), "rate_limit", 5, False, (), None, id="rate_limit_off_by_default"
    ),
    pytest.param(
        (RATE_TO_HAIKU,),
        "rate_limit",
        2,
        False,
        (),
        Fallback(SONNET, HAIKU, FallbackReason.RATE_LIMIT),
        id="rate_limit_where_opted_in",
    ),
    pytest.param((RATE_TO_HAIKU,), "rate_limit", 1, False, (), None, id="rate_limit_waits_too"),
    pytest.param(
        (rule(OPUS, position=2), rule(HAIKU, position=1)),
        "overloaded",
        2,
        False,
        (),
        Fallback(SONNET, HAIKU, FallbackReason.OVERLOADED),
        id="position_orders_the_list",
    ),
    pytest.param(
        (rule(HAIKU, position=1), rule(OPUS, position=2)),
        "overloaded",
        2,
        False,
        (HAIKU,),
        Fallback(SONNET, OPUS, FallbackReason.OVERLOADED),
        id="a_tried_model_is_skipped",
    ),
    pytest.param(
        (rule(SONNET, model=HAIKU),),
        "overloaded",
        2,
        False,
        (SONNET,),
        None,
        id="never_back_to_where_the_turn_came_from",
    ),
    pytest.param((rule(SONNET),), "overloaded", 2, False, (), None, id="never_to_the_same_model"),
    pytest.param(
        (rule(OPUS, model=HAIKU),), "overloaded", 9, False, (), None, id="another_models_rules"
    ),
    pytest.param(
        (rule(HAIKU, after_attempts=5), rule(OPUS, position=1)),
        "overloaded",
        2,
        False,
        (),
        Fallback(SONNET, OPUS, FallbackReason.OVERLOADED),
        id="each_rule_waits_its_own_attempts",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("rules", "kind", "attempts", "breaker", "tried", "expected"), CASES)
def test_select_fallback(rules, kind, attempts, breaker, tried, expected) -> None:
    got = select_fallback(
        rules, model=SONNET, kind=kind, attempts=attempts, breaker_open=breaker, tried=tried
    )
    assert got == expected


def test_a_route_follows_a_chain_and_never_loops() -> None:
    rules = (rule(HAIKU), rule(SONNET, model=HAIKU), rule(OPUS, model=HAIKU, position=1))
    route = ModelRoute(SONNET, rules)
    route.attempt()
    assert not route.choose("overloaded") and route.switch() is None
    route.attempt()
    assert route.choose("overloaded")
    assert route.switch() == Fallback(SONNET, HAIKU, FallbackReason.OVERLOADED)
    assert (route.model, route.attempts) == (HAIKU, 0)
    route.attempt()
    route.attempt()
    assert route.choose("overloaded")
    # Haiku lists Sonnet first, but the turn came from there: Opus instead.
    assert route.switch() == Fallback(HAIKU, OPUS, FallbackReason.OVERLOADED)
    for _ in range(5):
        route.attempt()
    assert not route.choose("overloaded")
    assert route.tried == [SONNET, HAIKU, OPUS]


def test_a_routes_retry_names_the_switch_and_says_why() -> None:
    route = ModelRoute(SONNET, (rule(HAIKU, after_attempts=1),))
    retry = ChatRetry(
        attempt=1,
        delay_ms=1000,
        retrying_at=datetime(2026, 1, 1, tzinfo=UTC),
        error="",
        kind="overloaded",
        provider="anthropic",
    )
    assert route.announce(retry) == retry, "no fallback chosen: the retry is unchanged"
    route.attempt()
    route.choose("overloaded")
    marked = route.announce(retry)
    assert marked == retry.with_fields(
        from_model=SONNET,
        to_model=HAIKU,
        reason="overloaded",
        error="Switched to claude-haiku: Anthropic's claude-sonnet is overloaded.",
    )
    assert ChatRetry.from_json(marked.to_json()) == marked


MESSAGES = [
    pytest.param("overloaded", "anthropic", "Switched to claude-haiku: Anthropic's claude-sonnet is overloaded.", id="overloaded_names_the_provider"),
    pytest.param("overloaded", "", "Switched to claude-haiku: the AI provider's claude-sonnet is overloaded.", id="an_unnamed_provider_stays_unnamed"),
    pytest.param("context_length", "openai", "Switched to claude-haiku: this conversation is too long for OpenAI's claude-sonnet.", id="context_length"),
    pytest.param("rate_limit", "anthropic", "Switched to claude-haiku: Anthropic's claude-sonnet is rate-limited for now.", id="rate_limit"),
    pytest.param("breaker_open", "anthropic", "Switched to claude-haiku: Anthropic's claude-sonnet keeps failing and is paused for now.", id="breaker_open"),
    pytest.param("from_a_newer_server", "", "Switched to claude-haiku: the AI provider's claude-sonnet failed.", id="unknown_reason_still_reads"),
]  # fmt: skip


@pytest.mark.parametrize(("reason", "provider", "text"), MESSAGES)
def test_fallback_message(reason: str, provider: str, text: str) -> None:
    got = fallback_message(from_model=SONNET, to_model=HAIKU, reason=reason, provider=provider)
    assert got == text


def test_public_names_are_listed_and_re_exported() -> None:
    assert_all_is_complete("chatcore.health.fallback")
    assert set(chatcore.health.fallback.__all__) <= set(chatcore.health.__all__)


def test_the_selection_imports_nothing_from_django() -> None:
    # Loaded by path: the package's __init__ also holds the pages' (Django) view.
    code = textwrap.dedent(
        """
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("fallback", "chatcore/health/fallback.py")
        module = sys.modules["fallback"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.select_fallback
        leaked = sorted(name for name in sys.modules if name.split(".")[0] == "django")
        assert not leaked, leaked
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
