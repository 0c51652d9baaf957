"""The chunk type, the options every chunker gets, and the size limit they share."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any

# Chunks are ranked as units: a chunk much longer than a paragraph or a function dilutes
# BM25's length normalisation and costs a model's context when returned.
HARD_MAX_CHARS = 4000


class ChunkError(Exception):
    """The file cannot be chunked at all; the message says why."""


@dataclass(frozen=True)
class Chunk:
    """A piece of a file: what it is, a title, its 1-based inclusive line range, its text."""

    kind: str
    title: str
    start_line: int
    end_line: int
    text: str
    meta: dict[str, Any] | None = None


@dataclass
class ChunkOptions:
    field: str = "text"
    warnings: list[str] = dataclasses.field(default_factory=list)


def lines_chunk(
    lines: list[str], start: int, end: int, kind: str, title: str, **extra: Any
) -> Chunk:
    """The chunk of ``lines[start-1:end]`` (1-based, inclusive line numbers)."""
    return Chunk(kind, title, start, end, "\n".join(lines[start - 1 : end]), **extra)


def limit_size(chunk: Chunk, max_chars: int = HARD_MAX_CHARS) -> list[Chunk]:
    """``chunk`` itself, or pieces of it no longer than ``max_chars``, cut at line ends."""
    if len(chunk.text) <= max_chars:
        return [chunk]
    pieces: list[Chunk] = []
    lines = chunk.text.split("\n")
    first = 0
    size = 0
    for index, line in enumerate(lines):
        if size and size + len(line) + 1 > max_chars:
            pieces.append(_piece(chunk, lines, first, index - 1))
            first, size = index, 0
        size += len(line) + 1
    pieces.append(_piece(chunk, lines, first, len(lines) - 1))
    return [cut for piece in pieces for cut in _cut_long_line(piece, max_chars)]


def _piece(chunk: Chunk, lines: list[str], first: int, last: int) -> Chunk:
    return replace(
        chunk,
        start_line=chunk.start_line + first,
        end_line=chunk.start_line + last,
        text="\n".join(lines[first : last + 1]),
    )


def _cut_long_line(chunk: Chunk, max_chars: int) -> list[Chunk]:
    """A piece that is still too long is one huge line: cut it at whitespace."""
    text = chunk.text
    if len(text) <= max_chars:
        return [chunk]
    cuts = []
    while len(text) > max_chars:
        at = text.rfind(" ", max_chars // 2, max_chars)
        at = max_chars if at < 0 else at
        cuts.append(text[:at])
        text = text[at:].lstrip(" ")
    cuts.append(text)
    return [replace(chunk, text=cut) for cut in cuts if cut]
