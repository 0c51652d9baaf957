"""Chunkers: split one file's text into the pieces the index stores and ranks.

Each format has its own small module; :data:`CHUNKERS` maps a file suffix to one. A
suffix with no chunker of its own is chunked as plain text by paragraph. Every chunk
keeps the 1-based, inclusive line range it came from. No chunk is longer than
:data:`HARD_MAX_CHARS`: longer ones are cut at line boundaries (and a single huge line
at whitespace), each piece keeping the chunk's title and its own line range.

This package does not import agentkit, so it could run inside a sandboxed worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from agentkit_retriever.chunking.base import (
    HARD_MAX_CHARS,
    Chunk,
    ChunkError,
    ChunkOptions,
    limit_size,
)
from agentkit_retriever.chunking.coq import chunk_coq
from agentkit_retriever.chunking.jsonl import chunk_jsonl
from agentkit_retriever.chunking.markdown import chunk_markdown
from agentkit_retriever.chunking.pysource import chunk_python
from agentkit_retriever.chunking.text import chunk_text

__all__ = [
    "CHUNKERS",
    "CHUNKING_VERSION",
    "HARD_MAX_CHARS",
    "Chunk",
    "ChunkError",
    "ChunkOptions",
    "Chunker",
    "chunk_document",
    "chunker_for",
    "chunking_key",
]

# Bump when any chunker changes what it produces: files indexed under another version
# are chunked again on the next update even though their bytes did not change.
CHUNKING_VERSION = 1

DEFAULT_FIELD = "text"

Chunker = Callable[[str, ChunkOptions], list[Chunk]]


@dataclass(frozen=True)
class Format:
    name: str
    chunk: Chunker
    uses_field: bool = False


CHUNKERS: dict[str, Format] = {
    ".md": Format("markdown", chunk_markdown),
    ".markdown": Format("markdown", chunk_markdown),
    ".py": Format("python", chunk_python),
    ".pyi": Format("python", chunk_python),
    ".v": Format("coq", chunk_coq),
    ".jsonl": Format("jsonl", chunk_jsonl, uses_field=True),
}
PLAIN_TEXT = Format("text", chunk_text)


def chunker_for(path: str | PurePath) -> Format:
    """The format of a file, by its suffix (plain text when the suffix is not known)."""
    return CHUNKERS.get(PurePath(path).suffix.lower(), PLAIN_TEXT)


@dataclass
class Chunked:
    """The chunks of one file and how they were made (recorded to detect a change)."""

    chunks: list[Chunk]
    chunking: str
    warnings: list[str] = field(default_factory=list)


def chunk_document(path: str | PurePath, text: str, *, field: str | None = None) -> Chunked:
    """Chunk ``text`` (the content of ``path``) with the chunker its suffix selects.

    :param field: for JSONL, the record field that holds the text (default ``text``)
    :raises ChunkError: the file cannot be chunked at all (e.g. no record has ``field``)
    """
    options = ChunkOptions(field=field or DEFAULT_FIELD)
    chunks = chunker_for(path).chunk(text, options)
    pieces = [piece for chunk in chunks for piece in limit_size(chunk)]
    return Chunked(pieces, chunking_key(path, field), options.warnings)


def chunking_key(path: str | PurePath, field: str | None = None) -> str:
    """How a file is chunked: the version, the format and (for JSONL) the field."""
    fmt = chunker_for(path)
    key = f"v{CHUNKING_VERSION}:{fmt.name}"
    return f"{key}:{field or DEFAULT_FIELD}" if fmt.uses_field else key
