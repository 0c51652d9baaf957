"""Untrusted text made safe to print on a terminal.

Kernel output, tool errors, a refuted program's stdout, kernel-log tails, a model's
answer: any of them can hold escape sequences that a terminal obeys instead of
showing (OSC 0 sets the window title, OSC 52 writes the clipboard, ``ESC c`` resets
the screen, ``\\x9b`` is a one-byte CSI, a bare ``\\r`` overwrites the line). Every
place that prints such text passes it through :func:`safe_text` first, just before
it reaches click or rich: the run store and ``--json`` keep the exact text.
"""

from __future__ import annotations

import re

# Every C0 control but newline and tab, DEL, every C1 control, and lone surrogates
# (which cannot be encoded, so printing them would raise instead of showing them).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def safe_text(text: object) -> str:
    """``text`` with every control character but newline and tab shown as its Python
    escape (``\\x1b``, ``\\x9b``, ``\\r``, ``\\x00``); other Unicode is kept as it is.

    Idempotent: what it returns holds no control character, so passing text through
    twice (a message built from an already safe one) changes nothing. A CRLF line
    ending is a plain newline.
    """
    text = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_escape, text.replace("\r\n", "\n"))


def _escape(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]
