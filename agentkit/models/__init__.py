"""Models: the protocol, the OpenAI-compatible implementation, and name resolution."""

from __future__ import annotations

from agentkit.config import load_settings
from agentkit.errors import ConfigError
from agentkit.models.base import (
    Message,
    Model,
    ModelCall,
    ModelResponse,
    OnDelta,
    ToolCallRequest,
    Usage,
    tool_message,
)
from agentkit.models.openai_model import OpenAIModel

__all__ = [
    "Message",
    "Model",
    "ModelCall",
    "ModelResponse",
    "OnDelta",
    "OpenAIModel",
    "ToolCallRequest",
    "Usage",
    "get_model",
    "tool_message",
]

NO_MODEL = (
    "no model configured: set AGENTKIT_MODEL (and OPENAI_BASE_URL / OPENAI_API_KEY for "
    "your endpoint), or pass -m MODEL"
)


def get_model(name: str | None = None) -> Model:
    """The model called ``name``, or the configured default.

    A name no plugin registered is taken as a model id on the OpenAI-compatible
    endpoint from ``OPENAI_BASE_URL``.
    """
    from agentkit.registry import get_models

    chosen = name or load_settings().model
    if not chosen:
        raise ConfigError(NO_MODEL)
    models = get_models()
    if chosen in models:
        return models.get(chosen)
    return OpenAIModel(chosen)
