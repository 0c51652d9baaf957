"""rich's ``Text``, ``Markdown`` and ``Syntax`` for text from anywhere.

rich draws control characters as they are (its ``Text`` drops only a few, such as BEL
and CR, and keeps ESC and the C1 controls), so a kernel's output, a tool's error or a
model's answer could set the window title, write the clipboard or reset the screen.
The chat builds every renderable from these, which pass their text through
:func:`agentkit.terminal.safe_text` first; rich then measures and wraps the text as it
will be shown.
"""

from __future__ import annotations

from typing import Any

import rich.markdown
import rich.syntax
import rich.text

from agentkit.terminal import safe_text


class Text(rich.text.Text):
    def __init__(self, text: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(safe_text(text), *args, **kwargs)

    def append(self, text: str | rich.text.Text, style: Any = None) -> Text:  # type: ignore[override]
        super().append(safe_text(text) if isinstance(text, str) else text, style)
        return self

    def __add__(self, other: Any) -> rich.text.Text:
        # rich's copies are plain ``Text``: keep what is appended to them safe too.
        return super().__add__(safe_text(other) if isinstance(other, str) else other)


class Markdown(rich.markdown.Markdown):
    def __init__(self, markup: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(safe_text(markup), *args, **kwargs)


class Syntax(rich.syntax.Syntax):
    def __init__(self, code: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(safe_text(code), *args, **kwargs)
