"""Reading turns: a prompt_toolkit prompt in a terminal, plain lines otherwise.

The terminal prompt keeps its history in ``$AGENTKIT_HOME/chat_history`` (shared by
every chat, like a shell's; readable by the user only, and redacted like the run
store, so a key or a URL with a password pasted into a turn is not kept), completes
slash commands and their arguments (tool names, model names, paths), and takes several
lines: Enter sends, unless a code fence is still open or the line ends with a
backslash; Alt-Enter (Esc, Enter) always starts a new line; a paste keeps its newlines.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Protocol

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import HTML, FormattedText
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from agentkit.chat.format import PROMPT_MARK
from agentkit.chat.turn import Decision
from agentkit.files import private_dir, private_file
from agentkit.redact import redact

ArgumentCompleter = Callable[[str], Iterable[tuple[str, str]]]


class Prompter(Protocol):
    """Where turns come from, and who answers approval questions."""

    def read(self) -> str | None:
        """The next input; None at the end (Ctrl-D, end of input)."""
        ...

    def approve(self, tool: str) -> Decision | None:
        """Whether ``tool`` may run; None when the user cancelled the whole turn."""
        ...


def continues(text: str) -> bool:
    """Whether Enter should start a new line instead of sending: an open code fence, or
    a line that ends with a backslash (as in a shell)."""
    return text.count("```") % 2 == 1 or text.endswith("\\")


def input_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion:
            buffer.apply_completion(buffer.complete_state.current_completion)
            return
        if buffer.document.is_cursor_at_the_end and continues(buffer.text):
            if buffer.text.endswith("\\"):
                buffer.delete_before_cursor(1)
            buffer.insert_text("\n")
            return
        buffer.validate_and_handle()

    @bindings.add("escape", "enter")
    def _newline(event: KeyPressEvent) -> None:
        event.current_buffer.insert_text("\n")

    return bindings


class ChatCompleter(Completer):
    """Completes ``/command`` names, then each command's argument."""

    def __init__(
        self, commands: Mapping[str, str], arguments: Mapping[str, ArgumentCompleter]
    ) -> None:
        self.commands = commands  # name -> one-line help
        self.arguments = arguments  # name -> completer of its argument

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterator[Completion]:
        text = document.text_before_cursor
        if not text.startswith("/") or "\n" in text:
            return
        if " " not in text:
            for name, help_text in self.commands.items():
                if name.startswith(text[1:]):
                    yield Completion(f"/{name}", -len(text), display_meta=help_text)
            return
        name, _, argument = text.partition(" ")
        complete = self.arguments.get(name[1:])
        if complete is None:
            return
        for candidate, meta in complete(argument):
            yield Completion(candidate, -len(argument), display_meta=meta)


def path_completions(argument: str) -> Iterable[tuple[str, str]]:
    """Paths that complete ``argument`` (for ``/save``)."""
    from prompt_toolkit.completion import PathCompleter

    for completion in PathCompleter(expanduser=True).get_completions(
        Document(argument), CompleteEvent(completion_requested=True)
    ):
        yield argument + completion.text, ""


class PrivateHistory(FileHistory):
    """prompt_toolkit's file history, in a 0600 file, with secrets redacted as they are
    written (this session's own up-arrow still recalls what was typed)."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent)
        private_file(path)
        super().__init__(str(path))

    def store_string(self, string: str) -> None:
        super().store_string(redact(string))


class TerminalPrompter:
    """The prompt_toolkit prompt."""

    def __init__(
        self,
        history_path: Path,
        completer: Completer,
        toolbar: Callable[[], str],
    ) -> None:
        self.session: PromptSession[str] = PromptSession(
            history=PrivateHistory(history_path),
            multiline=True,
            key_bindings=input_bindings(),
            completer=completer,
            complete_while_typing=True,
            bottom_toolbar=lambda: FormattedText([("class:bottom-toolbar", toolbar())]),
            prompt_continuation=lambda width, line, wrap: "." * (width - 1) + " ",
        )

    def read(self) -> str | None:
        try:
            return self.session.prompt(HTML(f"<ansigreen><b>{PROMPT_MARK}</b></ansigreen> "))
        except KeyboardInterrupt:
            return ""  # Ctrl-C at the prompt drops what was typed, as in a shell
        except EOFError:
            return None

    def approve(self, tool: str) -> Decision | None:
        """y / n / a (always for this session), answered by one key; Ctrl-C cancels."""
        answers: dict[str, Decision | None] = {"y": "yes", "n": "no", "a": "always"}
        bindings = KeyBindings()

        @bindings.add("<any>")
        def _ignore(event: KeyPressEvent) -> None:
            """Any other key: keep asking (the specific keys below take precedence)."""

        def answer(key: str) -> None:
            @bindings.add(key)
            def _(event: KeyPressEvent) -> None:
                event.current_buffer.text = {"y": "yes", "n": "no", "a": "always"}[key.lower()]
                event.app.exit(result=key.lower())

        for key in ("y", "n", "a", "Y", "N", "A"):
            answer(key)

        @bindings.add("c-c")
        @bindings.add("c-d")
        def _cancel(event: KeyPressEvent) -> None:
            event.app.exit(result="")

        question = HTML(
            f"Run <b>{_escape(tool)}</b>? <b>y</b>es / <b>n</b>o / <b>a</b>lways for this session: "
        )
        ask: PromptSession[str] = PromptSession(key_bindings=bindings)
        try:
            key = ask.prompt(question)
        except (KeyboardInterrupt, EOFError):
            return None
        return answers.get(key)


class LinePrompter:
    """Turns from a stream, one per line (stdin that is not a terminal)."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdin

    def read(self) -> str | None:
        line = self.stream.readline()
        return None if line == "" else line.rstrip("\n")

    def approve(self, tool: str) -> Decision | None:
        return "no"  # nobody to ask; --yes is how a script allows side effects


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
