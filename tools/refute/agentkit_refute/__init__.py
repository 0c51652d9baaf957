"""agentkit-refute: counterexample search (``agentkit refute``, tool ``refute``, verifier
``counterexample``).

This package's top level imports nothing heavy, not even agentkit: its sandboxed side
(:mod:`agentkit_refute._inside`) is imported inside every search worker, which should
start in milliseconds. The public names load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RefuteError", "RefuteResult", "Target", "refute", "warm"]

_PUBLIC = {
    "refute": "agentkit_refute.api",
    "RefuteResult": "agentkit_refute.search",
    "RefuteError": "agentkit_refute.targets",
    "Target": "agentkit_refute.targets",
    "warm": "agentkit_refute.workers",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'agentkit_refute' has no attribute {name!r}")
