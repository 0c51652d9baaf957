"""Markdown: one chunk per section, titled by its heading path ("Install > From source").

ATX headings (``#`` to ``######``) start sections; lines inside fenced code blocks are
never headings. A heading with no text under it before the next heading makes no chunk
of its own (its title lives on in its subsections' heading paths). Text before the
first heading is a section with an empty title. A long section is cut by paragraph.
"""

from __future__ import annotations

import re

from agentkit_retriever.chunking.base import Chunk, ChunkOptions
from agentkit_retriever.chunking.text import paragraph_chunks

HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def chunk_markdown(text: str, options: ChunkOptions | None = None) -> list[Chunk]:
    lines = text.split("\n")
    chunks: list[Chunk] = []
    for start, end, title in sections(lines):
        body = range(start + 1 if title else start, end + 1)
        if any(lines[n - 1].strip() for n in body):
            chunks += paragraph_chunks(lines, start, end, kind="section", title=title)
    return chunks


def sections(lines: list[str]) -> list[tuple[int, int, str]]:
    """(start line, end line, heading path) of each section, the heading line included."""
    found: list[tuple[int, int, str]] = []
    path: list[tuple[int, str]] = []  # (level, heading text) from the outermost down
    start, title = 1, ""
    for number, level, heading in _headings(lines):
        if number > start:
            found.append((start, number - 1, title))
        path = [(lvl, txt) for lvl, txt in path if lvl < level] + [(level, heading)]
        start, title = number, " > ".join(txt for _, txt in path)
    found.append((start, len(lines), title))
    return found


def _headings(lines: list[str]) -> list[tuple[int, int, str]]:
    headings = []
    fence = ""
    for number, line in enumerate(lines, 1):
        opener = FENCE.match(line)
        if fence:
            closing = opener and opener.group(1)[0] == fence[0]
            if closing and len(opener.group(1)) >= len(fence) and not line.strip(" `~"):
                fence = ""
            continue
        if opener:
            fence = opener.group(1)
            continue
        match = HEADING.match(line)
        if match:
            headings.append((number, len(match.group(1)), (match.group(2) or "").strip()))
    return headings
