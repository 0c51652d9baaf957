"""The retriever's one user-facing error type."""

from __future__ import annotations

from agentkit.errors import AgentkitError


class RetrieverError(AgentkitError):
    """An index could not be found, opened, updated or searched; the message says why."""
