"""``agentkit chat`` end to end: the real command in a pseudo-terminal, talking to the fake
OpenAI server through the real ``openai`` client, with the real sandboxed kernel."""

from __future__ import annotations

import json
import subprocess
import time

from chat_helpers import AGENTKIT, PROMPT
from sandbox_helpers import wait_until

from agentkit.store import Store
from agentkit.testing import Fault, Reply, ToolCallSpec


def python_call(code: str, **arguments) -> Reply:
    return Reply(tool_calls=[ToolCallSpec("python", {"code": code, **arguments})])


def user_messages(request: dict) -> list[str]:
    return [m["content"] for m in request["messages"] if m["role"] == "user"]


def test_a_streamed_answer_is_rendered_as_markdown(spawn_chat, fake_openai):
    fake_openai.enqueue("Here is **bold** text and `code`.\n\n- one\n- two")
    screen = spawn_chat()
    screen.expect("agentkit chat · fake-model")
    screen.prompt()
    screen.enter("hello")

    screen.expect(r"Here is bold text and code\.")
    screen.expect(r"• one\s+• two")
    screen.expect("unverified: no verifier applies")
    screen.prompt()
    assert screen.exit() == 0
    [request] = fake_openai.requests
    assert request["stream"] is True
    assert user_messages(request) == ["hello"]
    assert "Traceback" not in screen.text


def test_a_tool_call_asks_for_approval_and_shows_its_result(spawn_chat, fake_openai, needs_kernel):
    fake_openai.enqueue(
        Reply(content="Let me compute it.", tool_calls=python_call("x = 6 * 7\nx").tool_calls),
        "It is **42**.",
        python_call("open('note.txt', 'w').write('hi')"),
        "I did not write it.",
    )
    screen = spawn_chat()
    screen.prompt()
    screen.enter("what is 6*7?")
    screen.expect("Let me compute it.")
    screen.expect(r"x = 6 \* 7")
    screen.expect("asks to run")
    screen.expect(r"Run python\? yes / no / always for this session:")
    screen.type("y")
    screen.expect("Out: 42")
    screen.expect("It is 42.")
    screen.prompt()

    screen.enter("write a note")
    screen.expect(r"Run python\? yes / no / always")
    screen.type("n")
    screen.expect("I did not write it.")
    screen.prompt()
    assert screen.exit() == 0

    told = [
        json.loads(m["content"]) for m in fake_openai.requests[3]["messages"] if m["role"] == "tool"
    ]
    assert told[0]["output"]["result"] == "42"
    assert told[1]["ok"] is False and "did not allow" in told[1]["error"]


def test_ctrl_c_stops_a_long_tool_call_and_the_repl_and_kernel_carry_on(
    spawn_chat, fake_openai, needs_kernel
):
    fake_openai.enqueue(
        python_call("x = 41"),
        "Set.",
        python_call("import time\ntime.sleep(60)", timeout=120),
        python_call("x + 1"),
        "x + 1 is 42.",
    )
    screen = spawn_chat("--yes")
    screen.prompt()
    screen.enter("set x to 41")
    screen.expect("Set.")
    screen.prompt()

    screen.enter("sleep a minute")
    screen.expect(r"python: time\.sleep\(60\)")
    time.sleep(1.0)  # well inside the cell
    pressed = time.monotonic()
    screen.child.sendintr()
    screen.expect("cancelled", timeout=15)
    screen.prompt()
    assert time.monotonic() - pressed < 10

    screen.enter("and now x + 1?")
    screen.expect("Out: 42")  # the same kernel, its variables kept, no longer sleeping
    screen.expect(r"x \+ 1 is 42\.")
    screen.prompt()
    assert screen.exit() == 0
    assert user_messages(fake_openai.requests[-1]) == ["set x to 41", "and now x + 1?"]
    assert "Traceback" not in screen.text


def test_ctrl_c_while_the_model_hangs_returns_to_the_prompt(spawn_chat, fake_openai):
    fake_openai.enqueue(Fault.hang(20), "Answered.")
    screen = spawn_chat()
    screen.prompt()
    screen.enter("hello?")
    screen.expect("thinking")
    # Ctrl-C only once the request is at the server, hanging: pressed earlier, the turn
    # never sends it, and "again" would meet the hang instead (a loaded machine did that).
    assert wait_until(lambda: len(fake_openai.requests) == 1, timeout=15)
    pressed = time.monotonic()
    screen.child.sendintr()
    screen.expect("cancelled", timeout=15)
    screen.prompt(timeout=15)
    assert time.monotonic() - pressed < 15  # back long before the 20 s hang would end
    screen.enter("again")
    screen.expect("Answered.")
    screen.prompt()
    assert screen.exit() == 0


def test_plan_after_solve_shows_the_plan_tree_with_each_steps_state(
    spawn_chat, fake_openai, needs_kernel
):
    plan = {
        "steps": [
            {"id": "s1", "tool": "python", "args": {"code": "2**10"}},
            {"id": "s2", "tool": "python", "args": {"code": "3**3"}},
            {"id": "s3", "tool": "python", "args": {"code": "${s1.result} + ${s2.result}"}},
        ]
    }
    fake_openai.enqueue(
        Reply(tool_calls=[ToolCallSpec("make_plan", plan)]),
        Reply(tool_calls=[ToolCallSpec("final_answer", {"answer": "1051"})]),
    )
    screen = spawn_chat("--yes")
    screen.prompt()
    screen.enter("/solve what is 2**10 + 3**3?")
    screen.expect(r"plan · 3 steps")
    screen.expect(r"✓ s1 python: 2\*\*10 .*→ 1024")
    screen.expect(r"✓ s3 python: .*\(needs s1, s2\).*→ 1051")
    screen.expect(r"1051")
    screen.expect(r"NOT VERIFIED: no verifier applies to this answer")
    screen.prompt()

    screen.enter("/plan")
    screen.expect(r"plan · 3 steps")
    screen.expect(r"✓ s1 python: 2\*\*10")
    screen.expect(r"✓ s2 python: 3\*\*3")
    screen.expect(r"✓ s3 python")
    screen.expect(r"answer: 1051 \(NOT VERIFIED\)")
    screen.prompt()
    assert screen.exit() == 0


def test_resume_continues_the_conversation_with_its_kernel_session(
    spawn_chat, fake_openai, needs_kernel
):
    fake_openai.enqueue(python_call("import math\nx = 41"), "x is set.")
    first = spawn_chat("--yes")
    first.prompt()
    first.enter("set x")
    first.expect("x is set.")
    first.prompt()
    assert first.exit() == 0
    [chat] = [run for run in Store().list_runs() if run["kind"] == "chat"]

    fake_openai.enqueue(python_call("x + math.floor(1.5)"), "It is 42.")
    second = spawn_chat("--yes", "--resume", chat["id"])
    second.expect(f"resumed chat {chat['id']}: 1 earlier turn")
    second.expect(f"{PROMPT} set x")
    second.expect("x is set.")
    second.expect(f"re-created session chat-{chat['id']}: 1 cell")
    second.prompt()
    second.enter("x + 1?")
    second.expect("Out: 42")
    second.expect("It is 42.")
    second.prompt()
    assert second.exit() == 0
    assert user_messages(fake_openai.requests[-1]) == ["set x", "x + 1?"]


def test_history_is_kept_across_two_launches(spawn_chat, fake_openai):
    fake_openai.enqueue("First answer.", "Second answer.")
    first = spawn_chat()
    first.prompt()
    first.enter("a question worth repeating")
    first.expect("First answer.")
    first.prompt()
    assert first.exit() == 0

    second = spawn_chat()
    second.prompt()
    second.type("\x1b[A")  # the up arrow
    second.expect("a question worth repeating")
    second.enter()
    second.expect("Second answer.")
    second.prompt()
    assert second.exit() == 0
    assert user_messages(fake_openai.requests[-1]) == ["a question worth repeating"]


def test_slash_commands_complete_and_input_spans_lines(spawn_chat, fake_openai):
    fake_openai.enqueue("Got both lines.")
    screen = spawn_chat()
    screen.prompt()
    screen.type("/he")
    screen.expect(r"/help\s+this list")  # the completion menu, with each command's help
    screen.enter("lp")
    screen.expect(r"/solve PROBLEM\s+plan tool calls")
    screen.prompt()
    screen.type("first line\x1b\r")  # Alt-Enter: a new line
    screen.enter("second line")
    screen.expect("Got both lines.")
    screen.prompt()
    assert screen.exit() == 0
    assert user_messages(fake_openai.requests[-1]) == ["first line\nsecond line"]


def test_without_a_model_it_says_how_to_configure_one_and_exits_non_zero(spawn_chat, chat_env):
    env = {key: value for key, value in chat_env.items() if key != "AGENTKIT_MODEL"}
    screen = spawn_chat(env=env)
    status = screen.wait()
    assert status == 1
    assert screen.text.strip().splitlines() == [
        "Error: no model configured: set AGENTKIT_MODEL (and OPENAI_BASE_URL / "
        "OPENAI_API_KEY for your endpoint), or pass -m MODEL"
    ]


def test_a_script_pipes_turns_in_and_gets_plain_answers_out(chat_env, fake_openai, needs_kernel):
    fake_openai.enqueue(python_call("2**100"), "2**100 is 1267650600228229401496703205376.")
    done = subprocess.run(
        [str(AGENTKIT), "chat", "--yes"],
        input="what is 2**100?\n",
        capture_output=True,
        text=True,
        env=chat_env,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout == "2**100 is 1267650600228229401496703205376.\n"
    assert "tool python: ok" in done.stderr
    assert "\x1b[" not in done.stdout + done.stderr


def test_a_failing_endpoint_is_one_line_in_the_terminal(spawn_chat, fake_openai):
    fake_openai.enqueue(Fault.status(400, message="the context is too long"), "Recovered.")
    screen = spawn_chat()
    screen.prompt()
    screen.enter("hi")
    screen.expect(r"Error: the model endpoint at \S+ answered 400: the context is too long")
    screen.prompt()
    screen.enter("hi again")
    screen.expect("Recovered.")
    screen.prompt()
    assert screen.exit() == 0
    assert "Traceback" not in screen.text
