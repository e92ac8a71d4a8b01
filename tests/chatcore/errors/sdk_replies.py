"""The providers' real error bodies and headers, as the loopback server sends them."""

from __future__ import annotations

from tests.chatcore.errors.http_server import Reply

__all__ = ["AZURE_RATE_LIMIT", "FAKE_KEY", "OPENAI_QUOTA", "OPENAI_RATE_LIMIT", "REPLIES"]

FAKE_KEY = "sk-test-1234567890abcdef"

OPENAI_RATE_LIMIT = (
    "Rate limit reached for gpt-4o in organization org-abc123 on tokens per min (TPM): "
    "Limit 30000, Used 29000, Requested 2000. Please try again in 2s. Visit "
    "https://platform.openai.com/account/rate-limits to learn more."
)
OPENAI_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: "
    "https://platform.openai.com/docs/guides/error-codes/api-errors."
)
AZURE_RATE_LIMIT = (
    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
    "2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. "
    "Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you "
    "would like to further increase the default rate limit."
)


def _openai_error(message: str, type_: str | None, code: str | None) -> dict[str, object]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _anthropic_error(type_: str, message: str) -> dict[str, object]:
    return {
        "type": "error",
        "error": {"type": type_, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    }


REPLIES: dict[str, Reply] = {
    # OpenAI
    "oa401": Reply(
        401,
        _openai_error(
            f"Incorrect API key provided: {FAKE_KEY}. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            "invalid_api_key",
        ),
    ),
    "oa403": Reply(
        403,
        _openai_error(
            "Country, region, or territory not supported",
            "request_forbidden",
            "unsupported_country_region_territory",
        ),
    ),
    "oa404": Reply(
        404,
        _openai_error(
            "The model `gpt-9` does not exist or you do not have access to it.",
            "invalid_request_error",
            "model_not_found",
        ),
    ),
    "oa429": Reply(
        429,
        _openai_error(OPENAI_RATE_LIMIT, "tokens", "rate_limit_exceeded"),
        {"retry-after": "2", "retry-after-ms": "1850", "x-ratelimit-remaining-tokens": "0"},
    ),
    "oa429quota": Reply(
        429, _openai_error(OPENAI_QUOTA, "insufficient_quota", "insufficient_quota")
    ),
    "oa400context": Reply(
        400,
        _openai_error(
            "This model's maximum context length is 128000 tokens. However, your messages "
            "resulted in 130412 tokens. Please reduce the length of the messages.",
            "invalid_request_error",
            "context_length_exceeded",
        ),
    ),
    "oa500": Reply(
        500,
        _openai_error(
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            None,
        ),
    ),
    "oa503": Reply(
        503,
        _openai_error(
            "The engine is currently overloaded, please try again later.", "server_error", None
        ),
    ),
    "oa502text": Reply(502, "Bad Gateway", {"content-type": "text/plain"}),
    # Gemini's OpenAI-compatible endpoint answers with a list around the envelope.
    "gemini503": Reply(
        503,
        [
            {
                "error": {
                    "code": 503,
                    "message": "The service is currently unavailable.",
                    "status": "UNAVAILABLE",
                }
            }
        ],
    ),
    "azure429": Reply(
        429, {"error": {"code": "429", "message": AZURE_RATE_LIMIT}}, {"retry-after": "6"}
    ),
    "azure404": Reply(
        404,
        {
            "error": {
                "code": "DeploymentNotFound",
                "message": "The API deployment for this resource does not exist. If you created "
                "the deployment within the last 5 minutes, please wait a moment and try again.",
            }
        },
    ),
    "openrouter402": Reply(
        402,
        {
            "error": {
                "code": 402,
                "message": "Insufficient credits. Add more using https://openrouter.ai/settings/credits",
            }
        },
    ),
    "ollama404": Reply(
        404,
        _openai_error('model "llama3.2" not found, try pulling it first', "api_error", None),
    ),
    "vllm400": Reply(
        400,
        {
            "object": "error",
            "message": "This model's maximum context length is 4096 tokens. However, you "
            "requested 5000 tokens (4000 in the messages, 1000 in the completion). Please "
            "reduce the length of the messages or completion.",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        },
    ),
    # Anthropic
    "an401": Reply(401, _anthropic_error("authentication_error", "invalid x-api-key")),
    "an403": Reply(
        403,
        _anthropic_error(
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
    ),
    "an404": Reply(404, _anthropic_error("not_found_error", "model: claude-opus-9-20990101")),
    "an429": Reply(
        429,
        _anthropic_error(
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests "
            "per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits.",
        ),
        {"retry-after": "12", "anthropic-ratelimit-requests-remaining": "0"},
    ),
    "an500": Reply(500, _anthropic_error("api_error", "Internal server error")),
    "an503": Reply(
        503,
        "upstream connect error or disconnect/reset before headers. reset reason: overflow",
        {"content-type": "text/plain"},
    ),
    "an529": Reply(529, _anthropic_error("overloaded_error", "Overloaded")),
    "an400billing": Reply(
        400,
        _anthropic_error(
            "invalid_request_error",
            "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
            "Billing to upgrade or purchase credits.",
        ),
    ),
    "an400long": Reply(
        400,
        _anthropic_error(
            "invalid_request_error", "prompt is too long: 215000 tokens > 200000 maximum"
        ),
    ),
    "an200stream": Reply(
        200,
        'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", '
        '"message": "Overloaded"}}\n\n',
        {"content-type": "text/event-stream"},
    ),
    "slow": Reply(200, {}, delay=2.0),
    "drop": Reply(200, b'{"id": "chatcmpl-1", "choices": [', drop=True),
}
