"""The optional model response cache, a built-in plugin on the ``call_model`` hook.

Switched on by ``AGENTKIT_MODEL_CACHE=1`` or ``model_cache = true`` in the config file.
A response is reused when the model, its endpoint, the messages, the tools and the
options are all the same; it lives in the run store, so it survives restarts and is
shared by every process that uses the same ``AGENTKIT_HOME``. Only successful
responses are stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

from agentkit.config import load_settings
from agentkit.hookspecs import hookimpl
from agentkit.models.base import ModelCall, ModelResponse
from agentkit.store import Store


def cache_enabled() -> bool:
    flag = os.environ.get("AGENTKIT_MODEL_CACHE")
    if flag is not None:
        return flag == "1"
    return bool(load_settings().raw.get("model_cache", False))


def cache_key(call: ModelCall) -> str:
    model = call.model
    identity = {
        "model": getattr(model, "name", type(model).__name__),
        "model_id": getattr(model, "model_id", None),
        "base_url": getattr(model, "base_url", None),
        "messages": call.messages,
        "tools": call.tools,
        "options": call.options,
    }
    canonical = json.dumps(identity, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(canonical.encode()).hexdigest()


@hookimpl(tryfirst=True)
def call_model(call: ModelCall) -> ModelResponse | None:
    """Answer from the cache when the same request was answered before."""
    if not cache_enabled():
        return None
    row = _store(call).one("SELECT response FROM model_cache WHERE key = ?", (cache_key(call),))
    if row is None:
        return None
    response = ModelResponse.model_validate_json(row[0])
    if call.stream and call.on_delta is not None and response.content:
        call.on_delta(response.content)
    return response


@hookimpl(wrapper=True, specname="call_model")
def remember_response(call: ModelCall) -> Any:
    """Store each new answer (the wrapper half of the cache)."""
    response = yield
    if cache_enabled():
        _store(call).connect().execute(
            "INSERT OR REPLACE INTO model_cache (key, response, created) VALUES (?, ?, ?)",
            (cache_key(call), response.model_dump_json(), time.time()),
        )
    return response


def _store(call: ModelCall) -> Store:
    return call.run.store if call.run is not None else Store()
