"""Fixtures for ``agentkit chat``: in-process sessions on a scripted model, and the real
command in a pseudo-terminal against the fake OpenAI server and the real kernel.

Every wait is bounded: each ``Screen.expect`` has a timeout, and every spawned
process is killed at the end of its test if it is still alive.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pexpect
import pytest
from chat_helpers import AGENTKIT, COLUMNS, ROWS, Screen

import agentkit
from agentkit.chat.gate import Approvals
from agentkit.chat.plain_render import PlainRenderer
from agentkit.chat.repl import Repl
from agentkit.chat.session import ChatSession
from agentkit.plugins import pm
from agentkit.testing.pytest_plugin import FAKE_OPENAI_KEY

# -- in process --------------------------------------------------------------------------


@dataclass
class ScriptedPrompter:
    """Lines to type and answers to approval questions, in order."""

    lines: list[str | Callable[[], str | None]]
    decisions: list[str | None] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    def read(self) -> str | None:
        if not self.lines:
            return None
        line = self.lines.pop(0)
        return line() if callable(line) else line

    def approve(self, tool: str) -> Any:
        self.asked.append(tool)
        return self.decisions.pop(0) if self.decisions else "no"  # as LinePrompter does


@dataclass
class Chatted:
    out: str
    err: str
    code: int
    session: ChatSession
    prompter: ScriptedPrompter


@pytest.fixture
def register_tools() -> Iterator[Callable[..., None]]:
    """Register tools through an in-test plugin (unregistered afterwards)."""
    names: list[str] = []

    def register(*tools: agentkit.Tool) -> None:
        agentkit.load_plugins()

        class ToolsPlugin:
            @agentkit.hookimpl
            def register_tools(self, register: Callable[..., None]) -> None:
                for tool in tools:
                    register(tool)

        name = f"chat-test-tools-{len(names)}"
        pm.register(ToolsPlugin(), name=name)
        names.append(name)

    yield register
    for name in names:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)


@pytest.fixture
def run_chat(scripted_model: Any) -> Callable[..., Chatted]:
    """Run a whole chat in this process: plain renderer, scripted lines and model."""

    def run(
        lines: list[Any],
        *,
        tools: tuple[str, ...] = (),
        yes: bool = False,
        decisions: tuple[str | None, ...] = (),
        interactive: bool = False,
        resume: str | None = None,
    ) -> Chatted:
        approvals = Approvals(everything=yes)
        if resume:
            session = ChatSession.resume(resume, "scripted", tools, approvals=approvals)
        else:
            session = ChatSession.new("scripted", tools, approvals=approvals)
        out, err = io.StringIO(), io.StringIO()
        prompter = ScriptedPrompter(list(lines), list(decisions))
        repl = Repl(session, PlainRenderer(out, err), prompter, interactive=interactive)
        code = repl.run(resumed=bool(resume))
        return Chatted(out.getvalue(), err.getvalue(), code, session, prompter)

    return run


# -- in a pseudo-terminal ------------------------------------------------------------------


@pytest.fixture
def needs_kernel() -> None:
    """The sandboxed ``python`` tool runs in bubblewrap (the CI installs it)."""
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed")


@pytest.fixture
def chat_env(fake_openai: Any, isolated_agentkit: Path) -> dict[str, str]:
    """The environment of a spawned chat: the fake endpoint, a temporary home, the kernel."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AGENTKIT_", "OPENAI_", "PYTEST_"))
    }
    env.update(
        OPENAI_BASE_URL=fake_openai.base_url,
        OPENAI_API_KEY=FAKE_OPENAI_KEY,
        AGENTKIT_HOME=str(isolated_agentkit),
        AGENTKIT_LOAD_PLUGINS="kernel",
        AGENTKIT_MODEL="fake-model",
        TERM="xterm-256color",
        # pexpect does not answer the cursor-position requests a real terminal answers.
        PROMPT_TOOLKIT_NO_CPR="1",
        LANG="C.UTF-8",
    )
    return env


@pytest.fixture
def spawn_chat(chat_env: dict[str, str]) -> Iterator[Callable[..., Screen]]:
    """Start ``agentkit chat ARGS`` in a pseudo-terminal of a fixed size."""
    children: list[pexpect.spawn] = []

    def spawn(*args: str, env: dict[str, str] | None = None) -> Screen:
        child = pexpect.spawn(
            str(AGENTKIT),
            ["chat", *args],
            env=env or chat_env,
            dimensions=(ROWS, COLUMNS),
            encoding="utf-8",
            timeout=30,
        )
        children.append(child)
        return Screen(child)

    yield spawn
    for child in children:
        if child.isalive():
            child.terminate(force=True)
