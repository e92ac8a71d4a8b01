"""In-stream error shapes of OpenAI-compatible servers that the fake does not speak.

The fake streams OpenAI's own error objects; Ollama, vLLM and OpenRouter put
other things in ``data: {"error": ...}``. These build the exception the real
OpenAI SDK raises for such a line and run it through the adapters' boundary.
"""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import pytest

from chatcore.errors import ClassifiedError, ErrorKind, classify
from chatcore.providers._boundary import convert_error

REQUEST = httpx2.Request("POST", "http://127.0.0.1:11434/v1/chat/completions")

# (body the SDK hands over, kind, retryable, status, detail)
SHAPES = [
    pytest.param(
        "model 'llama3' not found, try pulling it first",
        ErrorKind.CONFIG,
        False,
        200,
        "model 'llama3' not found, try pulling it first",
        id="ollama_plain_string_error",
    ),
    pytest.param(
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, you "
            "requested 5000 tokens. Please reduce the length of the messages.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
        ErrorKind.CONTEXT_LENGTH,
        False,
        200,
        "This model's maximum context length is 4096 tokens. However, you requested 5000 "
        "tokens. Please reduce the length of the messages.",
        id="vllm_states_the_http_status_in_code",
    ),
    pytest.param(
        {"code": 502, "message": "Provider returned error"},
        ErrorKind.TIMEOUT,
        True,
        200,
        "Provider returned error",
        id="openrouter_upstream_failure_code",
    ),
    pytest.param(
        {"message": "The server had an error processing your request.", "type": "server_error"},
        ErrorKind.GENERIC,
        True,
        200,
        "The server had an error processing your request.",
        id="a_type_name_is_no_http_status",
    ),
]


@pytest.mark.parametrize(("body", "kind", "retryable", "status", "detail"), SHAPES)
def test_in_stream_error_objects(
    body: Any, kind: ErrorKind, retryable: bool, status: int, detail: str
) -> None:
    sdk_error = openai.APIError("An error occurred during streaming", REQUEST, body=body)

    converted = convert_error(
        sdk_error, provider="openai-compat", label="openai-compatible", streaming=True
    )

    got = classify(converted)
    assert got == ClassifiedError(
        kind=kind,
        message=got.message,
        detail=detail,
        provider="openai-compat",
        retryable=retryable,
        status_code=status,
    )
