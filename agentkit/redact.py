"""Keep secrets out of anything agentkit writes down (the run store, traces, errors).

Four nets, from the cheapest up: values under keys that name a secret
(``api_key``, ``Authorization``, ``password``...); strings shaped like a bearer token
or an OpenAI-style key, or like an ``Authorization:`` header; credentials inside URLs
(``user:password@`` and query parameters such as ``api_key=``, ``token=``, ``sig=``),
wherever a URL is written (an endpoint in an error message, a log line); and the
literal values of secret-looking environment variables (``*_API_KEY``, ``*_TOKEN``,
``*_SECRET``, ``*PASSWORD*``) wherever they occur.
"""

from __future__ import annotations

import os
import re
from functools import cache
from typing import Any

REDACTED = "[REDACTED]"

_SECRET_KEY = re.compile(
    r"(?i)^(.*[_-])?(api[_-]?key|apikey|authorization|proxy-authorization|password|passwd"
    r"|secret|client[_-]?secret|access[_-]?token|auth[_-]?token|refresh[_-]?token|bearer|cookie)$"
)
_SECRET_SHAPES = re.compile(
    r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}|\bsk-[A-Za-z0-9_-]{16,}|\bBasic\s+[A-Za-z0-9+/=]{12,}"
)
_HEADER = re.compile(
    r"(?i)\b((?:proxy-)?authorization|x-api-key)(\s*:\s*)(?:(?:bearer|basic|token|digest)\s+)?"
    r"[^\s\"',;]+"
)
# user:password@ (or a bare token@) between a URL's scheme and its host; greedy, as a
# URL parser takes the last @ of the authority (a password may hold an unencoded @).
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#\s\"'<>]+@")
# A query or fragment parameter whose name (or its last _/- part) names a secret.
_URL_PARAM = re.compile(
    r"(?i)([?&;#](?:[\w.-]*[_-])?(?:api[_-]?key|apikey|key|token|secret|password|passwd|pwd"
    r"|sig|signature|credential|auth|code)=)[^&#\s\"'<>]*"
)
_SECRET_ENV = re.compile(r"(?i)(api_?key|token|secret|password|passwd)")


def redact(value: Any, secrets: tuple[str, ...] | None = None) -> Any:
    """A copy of ``value`` (JSON-like data) with secrets replaced by ``[REDACTED]``.

    ``secrets`` is a snapshot from :func:`env_secrets`; without one the environment is
    read afresh, which costs more than the rest of the work together.
    """
    return _redact(value, env_secrets() if secrets is None else secrets)


def env_secrets() -> tuple[str, ...]:
    """The values of the secret-looking environment variables, longest first."""
    return _env_secrets(_env_fingerprint())


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return _redact_text(value, secrets)
    if isinstance(value, dict):
        return {
            key: REDACTED
            if isinstance(key, str) and _SECRET_KEY.match(key)
            else _redact(v, secrets)
            for key, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact(item, secrets) for item in value]
    return value


def _redact_text(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _SECRET_SHAPES.sub(REDACTED, text)
    if "://" in text:
        text = _URL_USERINFO.sub(rf"\1{REDACTED}@", text)
        text = _URL_PARAM.sub(rf"\1{REDACTED}", text)
    return _HEADER.sub(rf"\1\2{REDACTED}", text)


def _env_fingerprint() -> tuple[tuple[str, str], ...]:
    return tuple(
        (key, value)
        for key, value in os.environ.items()
        if len(value) >= 8 and _SECRET_ENV.search(key)
    )


@cache
def _env_secrets(items: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    # Longest first, so a secret that contains another is replaced whole.
    return tuple(sorted({value for _, value in items}, key=len, reverse=True))
