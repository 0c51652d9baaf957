"""Collecting what one cell produced, within fixed bounds.

Everything that comes from the kernel is hostile input: a stream flood, one enormous
print, a gigantic image, text with lone surrogates or NUL bytes. The collector keeps a
bounded prefix of every text, keeps a bounded number of displays, says plainly what
it dropped, saves images as files within the artifact quota (or drops them, and says
so), and raises a flag when output keeps pouring in long after the limit, so the
caller can interrupt the cell early.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentkit import Artifact

ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
ANSI_CUT = re.compile(r"\x1b(\[[0-9;?]*[ -/]*)?$")  # a colour code cut off by a limit
IMAGE_SUFFIXES = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif"}
MAX_NOTES = 20
MAX_MIMES = 16  # representations of one display
TEXT_MIMES = ("text/plain", "text/markdown", "text/html", "text/latex", "image/svg+xml")


def clean_text(text: Any) -> str:
    """Text safe to store and print: lone surrogates escaped, ANSI colours removed."""
    if not isinstance(text, str):
        text = str(text)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return ANSI.sub("", text)


def clean_prefix(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, cleaned.

    Cut first, then cleaned: a hostile 60 MB print must not be copied whole (that
    tripled the client's memory for it).
    """
    if len(text) <= limit:
        return clean_text(text)
    return ANSI_CUT.sub("", clean_text(text[:limit])[:limit])


@dataclass
class CappedText:
    """A text that keeps its first ``limit`` characters and counts the rest."""

    limit: int
    parts: list[str] = field(default_factory=list)
    kept: int = 0
    dropped: int = 0

    def add(self, text: Any) -> None:
        text = text if isinstance(text, str) else str(text)
        room = self.limit - self.kept
        if room > 0:
            piece = clean_prefix(text, room)
            self.parts.append(piece)
            self.kept += len(piece)
        self.dropped += max(0, len(text) - max(room, 0))

    def value(self, what: str) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of {what} truncated ...]"
        return text


@dataclass
class ArtifactBudget:
    """The artifact files a cell may still save: its call's quota, or its session's rest."""

    count: int
    bytes: int
    dropped: int = 0

    @classmethod
    def unlimited(cls) -> ArtifactBudget:
        return cls(count=1 << 30, bytes=1 << 60)

    def take(self, size: int) -> bool:
        """Count one file of ``size`` bytes against the budget; False (and counted) if over."""
        if self.count < 1 or size > self.bytes:
            self.dropped += 1
            return False
        self.count -= 1
        self.bytes -= size
        return True


@dataclass
class OutputLimits:
    text: int = 100_000  # characters kept per stream and per text field
    image_bytes: int = 5 << 20  # largest image saved as an artifact
    # Displays kept per cell, and the characters of text they may hold together: a
    # hundred thousand tiny displays used to pass uncounted (8 MB, truncated: false).
    displays: int = 200
    display_chars: int = 400_000
    # Dropped output beyond this many times ``text`` is a flood: at the ~230k characters
    # a second ipykernel prints, 5 x 100k trips about 2 s after the limit is reached.
    flood_factor: int = 5


class CellOutput:
    """The bounded record of one execution, fed message by message."""

    def __init__(
        self, limits: OutputLimits, artifacts_dir: Path, budget: ArtifactBudget | None = None
    ) -> None:
        self.limits = limits
        self.artifacts_dir = artifacts_dir
        self.budget = budget or ArtifactBudget.unlimited()
        self.streams = {name: CappedText(limits.text) for name in ("stdout", "stderr")}
        self.result: str | None = None
        self.display: list[dict[str, Any]] = []
        self.display_chars = 0  # text held by ``display``
        self.displays_dropped = 0
        self.artifacts: list[Artifact] = []
        self.artifact_bytes = 0
        self.error: dict[str, Any] | None = None
        self.execution_count: int | None = None
        self.notes: list[str] = []
        self.rejected: str | None = None

    @property
    def truncated(self) -> bool:
        return bool(self.notes or self.displays_dropped or self.budget.dropped) or any(
            s.dropped for s in self.streams.values()
        )

    @property
    def flooding(self) -> bool:
        dropped = sum(s.dropped for s in self.streams.values())
        factor = self.limits.flood_factor
        return (
            dropped > self.limits.text * factor
            or self.displays_dropped > self.limits.displays * factor
        )

    def add(self, msg_type: str, content: dict[str, Any]) -> None:
        """Take one IOPub message that belongs to this cell."""
        if msg_type == "stream":
            stream = self.streams.get(content.get("name", "stdout"), self.streams["stdout"])
            stream.add(content.get("text", ""))
        elif msg_type == "execute_result":
            self.execution_count = content.get("execution_count")
            self.result = self._text(content.get("data", {}).get("text/plain"))
            self._add_rich(content.get("data", {}), plain_is_result=True)
        elif msg_type in ("display_data", "update_display_data"):
            self._add_rich(content.get("data", {}), plain_is_result=False)
        elif msg_type == "error":
            self.take_error(content)
        elif msg_type == "clear_output":
            self.display.clear()
            self.display_chars = 0

    def take_error(self, content: dict[str, Any]) -> None:
        if self.error is None:
            traceback = "\n".join(str(line) for line in content.get("traceback", []))
            self.error = {
                "ename": _capped(content.get("ename", "Error"), self.limits.text, "name"),
                "evalue": self._text(content.get("evalue", "")) or "",
                "traceback": _capped(traceback, self.limits.text, "traceback"),
            }

    def note(self, text: str) -> None:
        # Bounded too: a cell can make the same drop happen a million times.
        if text not in self.notes and len(self.notes) < MAX_NOTES:
            self.notes.append(text)

    def reject(self, reason: str) -> None:
        """A message for this cell was dropped before decoding (over a bound, or malformed)."""
        self.rejected = self.rejected or reason
        self.note(f"a message from the kernel was dropped: {reason}")

    def _add_rich(self, data: dict[str, Any], *, plain_is_result: bool) -> None:
        if not isinstance(data, dict):
            return
        if not plain_is_result and len(self.display) >= self.limits.displays:
            self.displays_dropped += 1
            return
        entry: dict[str, Any] = {}
        for mime, value in data.items():
            if mime in IMAGE_SUFFIXES:
                entry[mime] = self._save_image(mime, value)
            elif mime in TEXT_MIMES or mime.startswith("text/"):
                if not (plain_is_result and mime == "text/plain"):
                    entry[mime] = self._text(value)
            else:
                entry[mime] = _capped(value, self.limits.text, mime)
        if not entry:
            return
        # Each field is capped already; the first display is kept whole, so that one
        # big display is truncated (and says so) rather than lost.
        size = sum(len(value) for value in entry.values() if isinstance(value, str))
        over = self.display and self.display_chars + size > self.limits.display_chars
        if over or len(entry) > MAX_MIMES:
            self.displays_dropped += 1
            return
        self.display_chars += size
        self.display.append(entry)

    def _save_image(self, mime: str, value: Any) -> dict[str, Any]:
        encoded = value if isinstance(value, str) else ""
        size = len(encoded) * 3 // 4
        if size > self.limits.image_bytes:
            limit = self.limits.image_bytes / (1 << 20)
            note = f"{mime} of {size / (1 << 20):.1f} MiB dropped (limit {limit:.1f} MiB)"
            self.note(note)
            return {"dropped": note}
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            self.note(f"{mime} dropped: not valid base64")
            return {"dropped": "not valid base64"}
        if not self.budget.take(len(raw)):
            return {"dropped": "over the artifact quota"}
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        path = self.artifacts_dir / f"{uuid.uuid4().hex[:12]}{IMAGE_SUFFIXES[mime]}"
        path.write_bytes(raw)
        self.artifact_bytes += len(raw)
        self.artifacts.append(
            Artifact(path=str(path), mime_type=mime, description="display output")
        )
        return {"artifact": str(path), "bytes": len(raw)}

    def _text(self, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, list):  # nbformat allows multi-line strings as lists
            value = "".join(str(part) for part in value)
        return _capped(value, self.limits.text, "output")

    def to_output(self, *, restarted: bool) -> dict[str, Any]:
        output: dict[str, Any] = {
            "stdout": self.streams["stdout"].value("stdout"),
            "stderr": self.streams["stderr"].value("stderr"),
            "result": self.result,
            "display": self.display,
            "truncated": self.truncated,
            "restarted": restarted,
            "execution_count": self.execution_count,
        }
        notes = self.notes + self._drop_notes()
        if notes:
            output["notes"] = notes
        if self.error is not None:
            output["traceback"] = self.error["traceback"]
        return output

    def _drop_notes(self) -> list[str]:
        notes = []
        if self.displays_dropped:
            notes.append(
                f"{self.displays_dropped} display outputs dropped (at most "
                f"{self.limits.displays} per cell, {self.limits.display_chars} characters)"
            )
        if self.budget.dropped:
            notes.append(
                f"{self.budget.dropped} images not saved: over the artifact quota "
                "([kernel] artifacts_per_call, artifacts_per_session and their bytes)"
            )
        return notes


def _capped(value: Any, limit: int, what: str) -> str:
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return clean_text(text)
    dropped = len(text) - limit
    return clean_prefix(text, limit) + f"\n[... {dropped} more characters of {what} truncated ...]"
