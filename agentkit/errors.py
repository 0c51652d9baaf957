"""Exceptions that reach users. Each one renders as a single clear line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AgentkitError(Exception):
    """Base class for errors that are the user's to fix; the CLI prints them as one line."""


class ConfigError(AgentkitError):
    """The configuration (environment or config file) is missing something or is wrong."""


class PluginError(AgentkitError):
    """A plugin failed to load while strict plugin loading was on."""


class UnknownToolError(AgentkitError):
    """No registered tool has the requested name."""


class ToolArgumentError(AgentkitError):
    """Arguments given to a tool do not match its JSON schema."""


class ModelError(AgentkitError):
    """A model call failed in a way retries could not fix (bad key, unknown model, unreachable)."""


class StoreError(AgentkitError):
    """The run store could not be opened or written."""


def did_you_mean(name: str, choices: Iterable[str], most: int = 3) -> str:
    """``"; did you mean 'a', 'b'?"`` for the closest choices, or ``""`` when none is close."""
    close = difflib.get_close_matches(name, list(choices), n=most)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
