"""Reading what a model wrote: fenced code blocks and the final answer of a solution.

Shared by every workflow and tool that asks a model for code or for an answer in plain
text, so that they all read replies the same way.
"""

from __future__ import annotations

import re

__all__ = ["code_blocks", "final_answer", "last_code_block"]

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.S)
_UNCLOSED = re.compile(r"```.*\Z", re.S)  # a block the reply never closed
_ANSWER_LINE = re.compile(r"(?im)^\s*(?:the\s+)?(?:final\s+)?answer\s*(?:is\s*)?:\s*(.+?)\s*$")


def code_blocks(text: str, languages: tuple[str, ...] = ()) -> list[str]:
    """The fenced blocks of ``text``, in order; only those tagged with one of
    ``languages`` (or untagged) when languages are given."""
    wanted = {language.lower() for language in languages}
    return [
        body for tag, body in _FENCE.findall(text) if not wanted or not tag or tag.lower() in wanted
    ]


def last_code_block(text: str, languages: tuple[str, ...] = ()) -> str | None:
    """The last fenced block (of ``languages``), which is where a model puts its final
    version after drafts; None when the text has none."""
    blocks = code_blocks(text, languages)
    return blocks[-1] if blocks else None


def final_answer(text: str) -> str | None:
    """The answer a solution states in its prose: the last ``\\boxed{...}`` (braces
    balanced), else the last ``Answer: ...`` line; None when there is neither.

    Fenced code is left out: ``answer = (1 + 5) / 2`` in a code block is a computation,
    not the answer.
    """
    text = _UNCLOSED.sub("", _FENCE.sub("", text))
    boxed = _last_boxed(text)
    if boxed is not None:
        return boxed.strip()
    lines = _ANSWER_LINE.findall(text.replace("**", ""))  # Markdown bold aside
    return lines[-1].strip() if lines else None


def _last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    depth, begin = 0, start + len("\\boxed{")
    for index in range(begin, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return text[begin:index]
            depth -= 1
    return None
