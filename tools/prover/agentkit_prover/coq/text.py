"""Coq source text: comments and strings masked out, positions, sentence boundaries.

coqc reports positions as byte offsets (``line L, characters A-B`` counts bytes from the
start of line L, and ``-time`` prints ``Chars A - B`` from the start of the file). This
module turns them into 1-based lines and character columns, and finds the sentence
around a position. Sentence boundaries come from coqc itself where it printed them;
:func:`sentence_end` is only the fallback for a sentence coqc could not parse.
"""

from __future__ import annotations

import bisect
import re


def mask(source: str) -> str:
    """``source`` with every comment and string literal blanked out, same length and lines.

    Comments nest, and a string inside a comment is still a string (so ``"*)"`` in a
    comment does not close it), as in Coq's lexer. An unclosed comment or string runs
    to the end.
    """
    out = list(source)
    depth, in_string, i = 0, False, 0
    while i < len(source):
        pair, width = source[i : i + 2], 1
        if in_string:
            if pair == '""':  # an escaped quote
                width = 2
            elif source[i] == '"':
                in_string = False
        elif pair == "(*":
            depth, width = depth + 1, 2
        elif pair == "*)" and depth:
            depth, width = depth - 1, 2
        elif source[i] == '"':
            in_string = True
        elif not depth:
            i += 1  # code: kept
            continue
        for j in range(i, min(i + width, len(out))):
            if out[j] != "\n":
                out[j] = " "
        i += width
    return "".join(out)


_TERMINATOR = re.compile(r"\.(?=\s|$)")


def sentence_end(masked: str, position: int) -> int:
    """The index just after the first sentence-ending ``.`` at or after ``position``."""
    found = _TERMINATOR.search(masked, position)
    return found.end() if found else len(masked)


def sentences(masked: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence in masked text (bullets stay with what follows)."""
    spans, position = [], 0
    while (start := skip_blank(masked, position)) < len(masked):
        position = sentence_end(masked, start)
        spans.append((start, position))
    return spans


def skip_blank(masked: str, position: int) -> int:
    """The first index at or after ``position`` that is not whitespace (in masked text)."""
    while position < len(masked) and masked[position].isspace():
        position += 1
    return position


class Positions:
    """Converts coqc's byte offsets into character offsets and 1-based line/column."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._bytes = source.encode("utf-8")
        self._line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]
        self._line_byte_starts = [0] + [i + 1 for i, b in enumerate(self._bytes) if b == 0x0A]

    def char_of_byte(self, offset: int) -> int:
        """The character index of a byte offset (clamped to the source)."""
        offset = max(0, min(offset, len(self._bytes)))
        return len(self._bytes[:offset].decode("utf-8", errors="ignore"))

    def char_of_line_byte(self, line: int, byte_in_line: int) -> int:
        """The character index of coqc's ``line L, characters A`` (A may run past the line)."""
        line = max(1, min(line, len(self._line_byte_starts)))
        return self.char_of_byte(self._line_byte_starts[line - 1] + byte_in_line)

    def line_column(self, index: int) -> tuple[int, int]:
        """1-based line and column of a character index."""
        line = bisect.bisect_right(self._line_starts, index)
        return line, index - self._line_starts[line - 1] + 1
