"""What the registry knows before any call: a disabled provider, a key that no longer exists."""

from __future__ import annotations

import pytest

from chatcore.errors import ClassifiedError, ErrorKind, classify, terminal_message
from tests.chatcore.providers.conftest import APIS, Api, consume, turn
from tests.fakeserver import FakeProviderServer

# (config flags, the kind they must raise as): disabled wins, it is the operator's decision.
REFUSALS = [
    pytest.param({"enabled": False}, ErrorKind.PROVIDER_DISABLED, id="disabled_provider"),
    pytest.param({"key_missing": True, "api_key": None}, ErrorKind.MISSING_KEY, id="missing_key"),
    pytest.param(
        {"enabled": False, "key_missing": True},
        ErrorKind.PROVIDER_DISABLED,
        id="disabled_beats_missing_key",
    ),
]


@pytest.mark.parametrize(("flags", "kind"), REFUSALS)
@pytest.mark.parametrize("api", APIS, ids=[a.name for a in APIS])
async def test_refused_before_any_network_call_with_a_fixed_classification(
    api: Api, flags: dict[str, object], kind: ErrorKind, fake: FakeProviderServer, make_adapter
) -> None:
    result = await consume(make_adapter(api, **flags), turn({"kind": "ok"}))

    assert result.parts == []
    assert fake.requests() == []
    expected = ClassifiedError(kind=kind, provider=api.provider, retryable=False)
    assert classify(result.error) == ClassifiedError(
        kind=kind,
        message=terminal_message(expected),
        provider=api.provider,
        retryable=False,
    )
    # The pre-classification is final: it holds even with a different provider hint.
    assert classify(result.error, provider="bedrock").kind == kind
