"""What the search runs: a function in a Python file, or a whole stdin/stdout program."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal

from agentkit.errors import AgentkitError

__all__ = ["RefuteError", "Target"]


class RefuteError(AgentkitError):
    """A refute request that cannot be run as given (a missing file, a bad option)."""


@dataclasses.dataclass(frozen=True)
class Target:
    """Source code and what to run in it. The source is never imported here."""

    source: str
    filename: str
    entry: str | None = None
    kind: Literal["function", "program"] = "function"

    @classmethod
    def function(cls, path: str | Path, entry: str) -> Target:
        """The function ``entry`` of the Python file ``path``."""
        return cls(_read(path), str(path), entry, "function")

    @classmethod
    def program(cls, path: str | Path) -> Target:
        """A whole program that reads stdin and writes stdout."""
        return cls(_read(path), str(path), None, "program")

    @classmethod
    def from_source(
        cls, source: str, entry: str | None = None, *, name: str = "candidate.py"
    ) -> Target:
        """Code given as text (a model's answer, say); ``entry=None`` means a whole program."""
        return cls(source, name, entry, "function" if entry else "program")

    @classmethod
    def from_spec(cls, spec: str, default_entry: str | None = None) -> Target:
        """``FILE.py:NAME`` (or ``FILE.py`` with ``default_entry``)."""
        path, colon, entry = spec.rpartition(":") if spec.count(":") else (spec, "", "")
        if not colon:
            path, entry = spec, default_entry or ""
        if not entry:
            raise RefuteError(f"{spec}: name the function as FILE.py:NAME")
        return cls.function(path, entry)


def _read(path: str | Path) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RefuteError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RefuteError(f"{path}: cannot read it ({exc})") from None
