"""Just enough of an SMT-LIB 2 reader to see a script's top-level commands.

z3 parses the script itself; this only finds what the Python API does not hand back:
which objectives are minimised and which maximised (and their source text), and
whether the script asks for an unsat core. Pure Python; runs inside the worker.
"""

from __future__ import annotations

from dataclasses import dataclass


class ScriptError(ValueError):
    """The text is not a well-formed sequence of SMT-LIB commands."""


@dataclass(frozen=True)
class Command:
    head: str
    arguments: tuple[str, ...]  # the source text of each argument, in order


def commands(text: str) -> list[Command]:
    """The top-level commands of ``text``, e.g. ``Command("minimize", ("(+ x y)",))``."""
    reader = _Reader(text)
    found = []
    while (token := reader.next_token()) is not None:
        start, kind = token
        if kind != "(":
            raise ScriptError(f"line {reader.line_of(start)}: expected '(' to start a command")
        found.append(reader.command())
    return found


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def next_token(self) -> tuple[int, str] | None:
        """Skip blanks and comments; the start and kind ('(', ')' or 'atom') of what follows."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char.isspace():
                self.pos += 1
            elif char == ";":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            else:
                start = self.pos
                if char in "()":
                    self.pos += 1
                    return start, char
                self._skip_atom()
                return start, "atom"
        return None

    def _skip_atom(self) -> None:
        text, start = self.text, self.pos
        if text[start] == '"':
            self.pos = self._closing(start, '"', doubled=True)
        elif text[start] == "|":
            self.pos = self._closing(start, "|", doubled=False)
        else:
            while self.pos < len(text) and not (
                text[self.pos].isspace() or text[self.pos] in '();"|'
            ):
                self.pos += 1

    def _closing(self, start: int, quote: str, *, doubled: bool) -> int:
        pos = start + 1
        while True:
            end = self.text.find(quote, pos)
            if end < 0:
                raise ScriptError(f"line {self.line_of(start)}: unterminated {quote}")
            if doubled and self.text.startswith(quote * 2, end):
                pos = end + 2  # "" inside a string literal is one quote
                continue
            return end + 1

    def command(self) -> Command:
        """After the opening '(' of a command: read it up to its closing ')'."""
        token = self.next_token()
        if token is None or token[1] != "atom":
            raise ScriptError(f"line {self.line_of(self.pos)}: a command must start with its name")
        head = self.text[token[0] : self.pos]
        arguments = []
        while True:
            token = self.next_token()
            if token is None:
                raise ScriptError(f"the command '{head}' is missing its closing ')'")
            start, kind = token
            if kind == ")":
                return Command(head, tuple(arguments))
            if kind == "(":
                self._skip_list(start)
            arguments.append(self.text[start : self.pos])

    def _skip_list(self, start: int) -> None:
        depth = 1
        while depth:
            token = self.next_token()
            if token is None:
                raise ScriptError(f"line {self.line_of(start)}: unbalanced '('")
            depth += {"(": 1, ")": -1}.get(token[1], 0)
