"""Plain text: blank-line paragraphs, tiny ones merged, huge ones cut at line ends."""

from __future__ import annotations

from agentkit_retriever.chunking.base import Chunk, ChunkOptions, limit_size, lines_chunk

# A paragraph shorter than this is merged with the next one: a lone heading line or a
# one-word paragraph is too little to rank on its own.
MIN_CHARS = 200
# Merging stops before a chunk would grow past this; a longer paragraph is cut.
MAX_CHARS = 1500


def chunk_text(text: str, options: ChunkOptions | None = None) -> list[Chunk]:
    """Chunk plain text by paragraph (see the module docstring)."""
    return paragraph_chunks(text.split("\n"), 1, text.count("\n") + 1, kind="paragraph", title="")


def paragraph_chunks(
    lines: list[str], first: int, last: int, *, kind: str, title: str
) -> list[Chunk]:
    """Paragraph chunks of ``lines[first-1:last]`` (1-based, inclusive), all titled ``title``."""
    chunks: list[Chunk] = []
    start = end = size = 0
    for para_start, para_end in paragraphs(lines, first, last):
        para_size = sum(len(lines[i - 1]) + 1 for i in range(para_start, para_end + 1))
        if start and (size >= MIN_CHARS or size + para_size > MAX_CHARS):
            chunks.append(lines_chunk(lines, start, end, kind, title))
            start = 0
        if not start:
            start, size = para_start, 0
        end = para_end
        size += para_size
    if start:
        chunks.append(lines_chunk(lines, start, end, kind, title))
    return [piece for chunk in chunks for piece in limit_size(chunk, MAX_CHARS)]


def paragraphs(lines: list[str], first: int, last: int) -> list[tuple[int, int]]:
    """The (start, end) line numbers of each run of non-blank lines in ``first..last``."""
    found = []
    start = 0
    for number in range(first, last + 1):
        blank = not lines[number - 1].strip()
        if not blank and not start:
            start = number
        elif blank and start:
            found.append((start, number - 1))
            start = 0
    if start:
        found.append((start, last))
    return found
