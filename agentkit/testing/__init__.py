"""Stand-ins for a language model, for testing agentkit and its plugins.

- :class:`ScriptedModel`: an in-process :class:`agentkit.Model` that replies from a queue.
- :class:`FakeOpenAIServer`: an OpenAI-compatible HTTP server on 127.0.0.1 with scripted
  replies and injected faults, for driving the real ``openai`` client.
- :func:`count_tokens`: real tiktoken counts, working offline.

The pytest fixtures ``scripted_model``, ``fake_openai`` and ``agentkit_home`` come from
:mod:`agentkit.testing.pytest_plugin`, installed as a ``pytest11`` plugin.
"""

from __future__ import annotations

from agentkit.testing.fake_openai import FakeOpenAIServer
from agentkit.testing.scripted import Fault, Reply, ScriptedModel, ToolCallSpec
from agentkit.testing.tokens import count_message_tokens, count_tokens

__all__ = [
    "FakeOpenAIServer",
    "Fault",
    "Reply",
    "ScriptedModel",
    "ToolCallSpec",
    "count_message_tokens",
    "count_tokens",
]
