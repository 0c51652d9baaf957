"""What the chat prints and keeps: escape sequences from a tool or a model are shown,
never obeyed, by both renderers (SANDBOX.md case 46); the prompt history is private
and redacted."""

from __future__ import annotations

import io
import stat

from rich.console import Console

import agentkit
from agentkit.chat.prompt import PrivateHistory
from agentkit.chat.rich_render import RichRenderer
from agentkit.chat.turn import ApprovalRequest, ToolFinished
from agentkit.testing import Reply, ToolCallSpec
from agentkit.tools import ToolResult

HOSTILE = "t\x1b]0;pwned\x07 c\x1b]52;c;aGk=\x07 d\x1bP1$r\x1b\\ r\x1bc k\x9b2J e\x1bZ"
SHOWN = (r"\x1b]0;pwned\x07", r"\x1b]52;c;aGk=\x07", r"\x1bP1$r\x1b", r"\x1bc", r"\x9b2J", r"\x1bZ")
RAW = ("\x1b", "\x9b", "\x07")


def assert_shown_not_obeyed(text: str) -> None:
    assert not [raw for raw in RAW if raw in text]
    assert all(shown in text for shown in SHOWN)


@agentkit.tool
def shout() -> str:
    """Print something hostile."""
    return HOSTILE


def test_the_plain_chat_shows_a_tools_and_a_models_sequences(
    run_chat, scripted_model, register_tools
):
    register_tools(shout)
    scripted_model.enqueue(Reply(tool_calls=[ToolCallSpec("shout", {})]), f"answer {HOSTILE}")
    chat = run_chat(["go"], tools=("shout",))
    assert_shown_not_obeyed(chat.err)  # the tool's result line
    assert_shown_not_obeyed(chat.out)  # the streamed answer


def test_the_rich_chat_shows_the_sequences_in_every_kind_of_output():
    screen = io.StringIO()
    renderer = RichRenderer(Console(file=screen, width=200, color_system=None))
    failed = ToolResult(ok=False, output={"stdout": HOSTILE, "stderr": HOSTILE}, error=HOSTILE)
    arguments = {"code": f"print({HOSTILE!r})\n{HOSTILE}", "note": HOSTILE}
    renderer.approval(ApprovalRequest(tool="python", arguments=arguments))
    renderer.event(ToolFinished(call_id="1", name="python", arguments=arguments, result=failed))
    renderer.finish_turn()
    renderer.markdown(f"# {HOSTILE}\n\n`{HOSTILE}`\n\n```\n{HOSTILE}\n```")
    renderer.error(HOSTILE)
    renderer.table(["A", "B"], [[HOSTILE, HOSTILE]])
    text = screen.getvalue()
    assert_shown_not_obeyed(text)
    assert text.count(r"\x1b]0;pwned\x07") >= 8


def test_the_prompt_history_is_0600_and_redacted(tmp_path):
    path = tmp_path / "home" / "chat_history"
    history = PrivateHistory(path)
    history.append_string(
        "use http://agent:hunter2pw@127.0.0.1:8000/v1?api_key=hunter2key\n"
        "curl -H 'Authorization: Bearer hunter2bearer' sk-hunter2hunter2hunter2hunter2"
    )
    saved = path.read_text()
    assert "hunter2" not in saved and saved.count("[REDACTED]") == 4
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "hunter2pw" in history.get_strings()[-1]  # this session's up-arrow still has it
