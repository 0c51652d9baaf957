"""``agentkit chat`` in this process: a scripted model, in-test tools, plain output.

These pin down the behaviour behind the screen: what a turn adds to the
conversation, approval, the conversation's kernel session, cancelling, /solve,
/verify, /save, resume, and errors as one line.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time

import pytest
from click.testing import CliRunner

import agentkit
from agentkit.chat.gate import Approvals
from agentkit.chat.session import ChatSession
from agentkit.cli import cli
from agentkit.errors import ModelError
from agentkit.plugins import pm
from agentkit.store import Store
from agentkit.testing import Reply, ToolCallSpec
from agentkit.verify import Verdict

calls: list[dict] = []
sessions: dict[str, dict] = {}
ended: list[str] = []


@agentkit.tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    calls.append({"add": (a, b)})
    return a + b


@agentkit.tool(side_effects=True)
def write_note(text: str) -> str:
    """Write a note somewhere (a side effect)."""
    calls.append({"write_note": text})
    return "written"


def end_remembering(session: str) -> bool:
    """The stand-in's end_session: it only notes the request (so tests can see it)."""
    ended.append(session)
    return session in sessions


@agentkit.tool(end_session=end_remembering)
def remember(key: str, value: int | None = None, session: str | None = None) -> int | None:
    """Keep values per session, like a kernel keeps variables."""
    store = sessions.setdefault(session or "", {})
    if value is not None:
        store[key] = value
    return store.get(key)


@agentkit.tool
async def wait_long(seconds: float) -> str:
    """Sleep, cancellably."""
    await asyncio.sleep(seconds)
    return "slept"


@pytest.fixture(autouse=True)
def fresh_state():
    calls.clear()
    sessions.clear()
    ended.clear()


@pytest.fixture
def tools(register_tools):
    register_tools(add, write_note, remember, wait_long)


def test_a_turn_streams_the_answer_and_is_recorded_as_a_chat_run(run_chat, scripted_model):
    scripted_model.enqueue("Hello **there**.")
    chat = run_chat(["hi"])

    assert chat.out == "Hello **there**.\n"
    assert scripted_model.calls[0]["options"]["stream"] is True
    assert "verified: NO (no verifier applies to this answer)" in chat.err
    assert chat.code == 0
    run = Store().get_run(chat.session.run.id)
    assert (run["kind"], run["input"], run["status"]) == ("chat", "hi", "done")
    roles = [m["role"] for m in run["output"]["messages"]]
    assert roles == ["system", "user", "assistant"]
    turns = [e for e in Store().events(run["id"]) if e["type"] == "chat_turn"]
    assert [t["payload"]["answer"] for t in turns] == ["Hello **there**."]


def test_the_model_sees_the_whole_conversation_on_the_next_turn(run_chat, scripted_model, tools):
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("add", {"a": 2, "b": 3})]), "It is 5.", "Yes, 5."
    )
    chat = run_chat(["2+3?", "sure?"], tools=("add",))

    assert chat.out.splitlines() == ["It is 5.", "Yes, 5."]
    assert "tool add: ok" in chat.err and "5" in chat.err
    last = scripted_model.calls[-1]["messages"]
    assert [m["role"] for m in last] == ["system", "user", "assistant", "tool", "assistant", "user"]


def test_a_tool_with_side_effects_is_not_run_without_approval_in_a_script(
    run_chat, scripted_model, tools
):
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("write_note", {"text": "x"})]), "I could not write it."
    )
    chat = run_chat(["write a note"], tools=("write_note",))

    assert calls == []
    assert "pass --yes to allow it" in chat.err
    told = json.loads(scripted_model.calls[1]["messages"][-1]["content"])
    assert told["ok"] is False and "did not allow" in told["error"]


def test_yes_runs_tools_with_side_effects_without_asking(run_chat, scripted_model, tools):
    scripted_model.enqueue(Reply(tool_calls=[ToolCallSpec("write_note", {"text": "x"})]), "Done.")
    chat = run_chat(["write a note"], tools=("write_note",), yes=True)

    assert calls == [{"write_note": "x"}]
    assert chat.prompter.asked == []


def test_always_stops_asking_for_that_tool(run_chat, scripted_model, tools):
    note = Reply(tool_calls=[ToolCallSpec("write_note", {"text": "x"})])
    scripted_model.enqueue(note, "One.", note, "Two.")
    chat = run_chat(["one", "two"], tools=("write_note",), decisions=("always",), interactive=True)

    assert chat.prompter.asked == ["write_note"]
    assert calls == [{"write_note": "x"}, {"write_note": "x"}]


def test_no_declines_only_that_call(run_chat, scripted_model, tools):
    note = Reply(tool_calls=[ToolCallSpec("write_note", {"text": "x"})])
    scripted_model.enqueue(note, "Not written.", note, "Written.")
    chat = run_chat(
        ["one", "two"], tools=("write_note",), decisions=("no", "yes"), interactive=True
    )

    assert chat.prompter.asked == ["write_note", "write_note"]
    assert calls == [{"write_note": "x"}]
    assert chat.out.splitlines() == ["Not written.", "Written."]


def test_a_stateful_tool_gets_the_conversations_own_session(run_chat, scripted_model, tools):
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("remember", {"key": "x", "value": 41})]),
        "Kept.",
        Reply(tool_calls=[ToolCallSpec("remember", {"key": "x"})]),
        "x is 41.",
    )
    chat = run_chat(["keep 41", "what was it?"], tools=("remember",))

    assert list(sessions) == [f"chat-{chat.session.run.id}"]
    told = json.loads(scripted_model.calls[3]["messages"][-1]["content"])
    assert told == {"ok": True, "output": 41}


def test_resume_continues_the_conversation_and_recreates_the_session(
    run_chat, scripted_model, tools
):
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("remember", {"key": "x", "value": 41})]),
        "Kept.",
        Reply(tool_calls=[ToolCallSpec("remember", {"key": "y", "value": 1, "session": "other"})]),
        "Also kept.",
    )
    first = run_chat(["keep 41", "and y in other"], tools=("remember",))
    sessions.clear()  # a new process: the kernels are gone

    scripted_model.enqueue(Reply(tool_calls=[ToolCallSpec("remember", {"key": "x"})]), "41.")
    again = run_chat(["what was x?"], resume=first.session.run.id)

    assert sessions == {f"chat-{first.session.run.id}": {"x": 41}, "other": {"y": 1}}
    assert "re-created session" in again.err and "2 cell(s)" in again.err
    assert again.session.run.id == first.session.run.id
    assert sorted(again.session.tools) == ["remember"]
    messages = scripted_model.calls[-1]["messages"]
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "keep 41",
        "and y in other",
        "what was x?",
    ]


def test_ctrl_c_cancels_a_long_tool_call_and_the_chat_goes_on(run_chat, scripted_model, tools):
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("wait_long", {"seconds": 30})]),
        "never used",
    )

    def interrupt_soon() -> str:
        def press_ctrl_c() -> None:
            time.sleep(0.5)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=press_ctrl_c, daemon=True).start()
        return "wait"

    def then_answer() -> str:
        scripted_model._script._items.clear()  # the cancelled turn's reply is not wanted
        scripted_model.enqueue("Back.")
        return "still there?"

    started = time.monotonic()
    chat = run_chat([interrupt_soon, then_answer], tools=("wait_long",), interactive=True)

    assert time.monotonic() - started < 10
    assert "cancelled" in chat.err
    assert chat.out.strip() == "Back."
    user_turns = [m["content"] for m in chat.session.messages if m["role"] == "user"]
    assert user_turns == ["still there?"]  # the cancelled turn never joined the conversation


def test_ctrl_c_ends_a_script(run_chat, scripted_model, tools):
    scripted_model.enqueue(Reply(tool_calls=[ToolCallSpec("wait_long", {"seconds": 30})]))

    def interrupt_soon() -> str:
        threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
        return "wait"

    chat = run_chat([interrupt_soon, "never read"])
    assert chat.code == 130


def test_a_model_error_is_one_line_and_the_chat_goes_on(run_chat, scripted_model):
    scripted_model.enqueue(ModelError("the model endpoint rejected the API key (401)"), "Fine.")
    chat = run_chat(["first", "second"])

    assert "Error: the model endpoint rejected the API key (401)" in chat.err
    assert "Traceback" not in chat.err
    assert chat.out == "Fine.\n"
    assert chat.code == 1  # a script learns that a turn failed
    assert [m["content"] for m in chat.session.messages if m["role"] == "user"] == ["second"]


def test_an_unknown_command_suggests_the_right_one(run_chat):
    chat = run_chat(["/slove 1+1"])
    assert "Error: unknown command '/slove'; did you mean '/solve'" in chat.err
    assert chat.err.rstrip().endswith("(see: /help)")


def test_help_lists_every_command(run_chat):
    chat = run_chat(["/help"])
    for command in ("/help", "/tools", "/model", "/solve", "/plan", "/verify", "/runs"):
        assert command in chat.out
    for command in ("/save", "/reset", "/exit"):
        assert command in chat.out


def test_tools_lists_the_chats_tools_and_which_ask(run_chat, tools):
    chat = run_chat(["/tools", "/tools add"], tools=("add", "write_note"))
    rows = {line.split()[0]: line for line in chat.out.splitlines()}
    assert "asks first" in rows["write_note"] and "asks first" not in rows["add"]
    assert '"name": "add"' in chat.out and '"side_effects": false' in chat.out


def test_model_switches_the_model(run_chat, scripted_model):
    chat = run_chat(["/model nowhere", "/model"])
    assert chat.session.model_name == "nowhere"
    assert "model: nowhere" in chat.err


def test_solve_runs_the_planner_and_plan_shows_it(run_chat, scripted_model, tools):
    plan = {
        "steps": [
            {"id": "s1", "tool": "add", "args": {"a": 2, "b": 3}},
            {"id": "s2", "tool": "add", "args": {"a": "${s1}", "b": 10}},
        ]
    }
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("make_plan", plan)]),
        Reply(tool_calls=[ToolCallSpec("final_answer", {"answer": "15"})]),
    )
    chat = run_chat(["/solve (2+3)+10?", "/plan"], tools=("add",))

    assert calls == [{"add": (2, 3)}, {"add": (5, 10)}]
    assert "plan (attempt 1): s1 add, s2 add" in chat.err
    assert "verified: NO (no verifier applies to this answer)" in chat.err
    out = chat.out.splitlines()
    assert out[0] == "15"
    assert out[1].split()[:2] == ["s1", "done"] and out[2].split()[:2] == ["s2", "done"]
    assert out[3] == "answer: 15 (verified: NO)"
    solve_run = Store().get_run(chat.session.last["solve_run"])
    assert solve_run["kind"] == "solve" and solve_run["meta"]["chat"] == chat.session.run.id
    assert chat.session.messages[-2:] == [
        {"role": "user", "content": "(2+3)+10?"},
        {"role": "assistant", "content": "15"},
    ]


def test_plan_before_any_solve_says_how_to_make_one(run_chat):
    chat = run_chat(["/plan"])
    assert "no plan yet: /solve PROBLEM makes one" in chat.err


class EqualsExpected:
    """A verifier for the tests: the answer must be the expected text."""

    name = "equals"

    def applies_to(self, candidate, problem):
        return isinstance(problem, dict) and "answer" in problem

    def verify(self, candidate, problem, ctx=None):
        if candidate == problem["answer"]:
            return Verdict(status="passed", feedback="matches")
        return Verdict(status="failed", feedback=f"expected {problem['answer']}, not {candidate}")


@pytest.fixture
def equals_verifier():
    agentkit.load_plugins()

    class VerifierPlugin:
        @agentkit.hookimpl
        def register_verifiers(self, register):
            register(EqualsExpected())

    plugin = VerifierPlugin()
    pm.register(plugin, name="chat-test-verifier")
    yield
    if pm.is_registered(plugin):
        pm.unregister(plugin)


def test_verify_sends_a_rejection_back_and_checks_the_correction(
    run_chat, scripted_model, equals_verifier
):
    scripted_model.enqueue("6*7 is\n\nAnswer: 41", "Sorry.\n\nAnswer: 42")
    chat = run_chat(["what is 6*7?", "/verify 42"])

    assert "attempt 1 rejected: 6*7 is Answer: 41" in chat.err
    assert "verdict failed: equals: expected 42, not 41" in chat.err
    assert "verdict passed: equals: matches" in chat.err
    assert chat.err.rstrip().endswith("verified: yes")
    feedback = scripted_model.calls[1]["messages"][-1]
    assert feedback["role"] == "user" and "expected 42, not 41" in feedback["content"]
    assert chat.session.last["answer"] == "Sorry.\n\nAnswer: 42"


def test_verify_without_an_answer_yet_is_one_line(run_chat):
    chat = run_chat(["/verify 42"])
    assert "Error: nothing to verify yet: ask something first" in chat.err


def test_save_writes_the_transcript_as_markdown_and_json(run_chat, scripted_model, tools, tmp_path):
    scripted_model.enqueue(Reply(tool_calls=[ToolCallSpec("add", {"a": 2, "b": 3})]), "It is 5.")
    chat = run_chat(
        ["2+3?", f"/save {tmp_path / 'chat.md'}", f"/save {tmp_path / 'chat.json'}"],
        tools=("add",),
    )

    markdown = (tmp_path / "chat.md").read_text()
    assert "## You\n\n2+3?" in markdown
    assert "Tool call `add` a=2 b=3:" in markdown and "## Assistant\n\nIt is 5." in markdown
    saved = json.loads((tmp_path / "chat.json").read_text())
    assert saved["run"] == chat.session.run.id
    assert [m["role"] for m in saved["messages"]][-3:] == ["assistant", "tool", "assistant"]
    assert "a .svg capture needs a terminal" in run_chat([f"/save {tmp_path / 'x.svg'}"]).err


def test_reset_starts_a_new_run_and_ends_the_old_session(run_chat, scripted_model, tools):
    scripted_model.enqueue(
        Reply(tool_calls=[ToolCallSpec("remember", {"key": "x", "value": 1})]), "One.", "Two."
    )
    chat = run_chat(["one", "/reset", "two"], tools=("remember",))

    assert "continues the old one" in chat.err
    runs = {r["id"] for r in Store().list_runs() if r["kind"] == "chat"}
    new = chat.session.run.id
    (old,) = runs - {new}
    assert [m["content"] for m in chat.session.messages if m["role"] == "user"] == ["two"]
    # /reset ends the old conversation's session at once; leaving ends the new one's.
    assert ended == [f"chat-{old}", f"chat-{new}"]


def test_a_line_starting_with_two_slashes_is_sent_as_text(run_chat, scripted_model):
    scripted_model.enqueue("A path.")
    run_chat(["//usr/bin is a path?"])
    assert scripted_model.calls[0]["messages"][-1]["content"] == "/usr/bin is a path?"


def test_without_a_model_chat_says_how_to_configure_one_in_one_line():
    result = CliRunner().invoke(cli, ["chat"], input="hi\n")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: no model configured: set AGENTKIT_MODEL (and OPENAI_BASE_URL / "
        "OPENAI_API_KEY for your endpoint), or pass -m MODEL"
    ]


def test_resuming_a_run_that_is_not_a_chat_is_one_line(scripted_model):
    run = Store().start_run("solve", "solve", input={"problem": "x"})
    result = CliRunner().invoke(cli, ["chat", "-m", "scripted", "--resume", run.id])
    assert result.exit_code == 1
    assert "is a 'solve' run, not a chat" in result.output
    missing = CliRunner().invoke(cli, ["chat", "-m", "scripted", "--resume", "nope"])
    assert "no run 'nope' (see: agentkit runs list)" in missing.output


def test_an_unknown_tool_name_is_one_line_with_a_suggestion(scripted_model, tools):
    result = CliRunner().invoke(cli, ["chat", "-m", "scripted", "-T", "ad"])
    assert result.exit_code == 1
    assert "unknown tool 'ad'; did you mean 'add'" in result.output


def test_session_new_without_tools_named_takes_every_tool(scripted_model, tools):
    session = ChatSession.new("scripted", approvals=Approvals())
    assert {"add", "write_note", "remember", "wait_long"} <= set(session.tools)
    assert "'remember' tool keeps its variables" in session.messages[0]["content"]


def test_enter_continues_an_open_code_fence_or_a_trailing_backslash():
    from agentkit.chat.prompt import continues

    assert continues("look:\n```python\nx = 1")
    assert continues("first line \\")
    assert not continues("look:\n```python\nx = 1\n```")
    assert not continues("plain text")


def test_completion_offers_commands_then_their_arguments(run_chat, tools):
    from prompt_toolkit.completion import CompleteEvent
    from prompt_toolkit.document import Document

    from agentkit.chat.commands import COMMANDS
    from agentkit.chat.prompt import ChatCompleter

    chat = run_chat([], tools=("add", "write_note"))
    repl_like = type("R", (), {"session": chat.session})()
    completer = ChatCompleter(
        {name: command.help for name, command in COMMANDS.items()},
        {
            name: (lambda argument, command=command: command.complete(repl_like, argument))
            for name, command in COMMANDS.items()
            if command.complete is not None
        },
    )

    def complete(text: str) -> list[str]:
        found = completer.get_completions(Document(text), CompleteEvent())
        return [text[: len(text) + c.start_position] + c.text for c in found]

    assert complete("/so") == ["/solve"]
    assert complete("/tools ") == ["/tools add", "/tools write_note"]
    assert complete("/tools w") == ["/tools write_note"]
    assert complete("hello /so") == []


def test_a_cancelled_turn_stops_at_its_next_step_and_cancels_what_is_in_flight():
    from agentkit.chat.turn import ApprovalRequest, Turn, TurnCancelled

    turn = Turn()
    cancelled: list[str] = []
    forget = turn.on_cancel(lambda: cancelled.append("call"))
    turn.on_cancel(lambda: cancelled.append("other"))
    forget()  # that call ended before the cancel
    assert turn.cancel() == 1
    assert cancelled == ["other"]
    turn.on_cancel(lambda: cancelled.append("late"))  # too late to register: runs at once
    assert cancelled == ["other", "late"]
    with pytest.raises(TurnCancelled):
        turn.delta("more text")
    assert turn.ask(ApprovalRequest("python", {})) == "no"
