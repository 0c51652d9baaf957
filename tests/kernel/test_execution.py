"""Hostile or broken cells in a real sandboxed kernel: SANDBOX.md cases 1-6, 10-17, 29-33.

Every test runs real code in a real kernel (bubblewrap, rlimits, its own uid). Cell
timeouts are a second or two rather than the table's tens of seconds, to keep the file
fast on two cores; the behaviour under test does not depend on the length.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kernel_helpers import (
    FAST,
    assert_alive_with_state,
    execute,
    kernel_starter,
    memory_status,
    needs_bwrap,
    reset_peak_memory,
    run,
    timed,
    watch_exit,
)

import agentkit
import agentkit_kernel
from agentkit._runtime import runtime_loop
from agentkit.sandbox import processes_of
from agentkit_kernel import Execution, KernelError, SandboxedKernel

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MEMORY_GROWTH_LIMIT_MB = 200  # what one hostile cell may cost the client


def assert_restarted_fresh(kernel: SandboxedKernel) -> None:
    """The kernel answers again, and the state from before is gone."""
    lost = execute(kernel, "x")
    assert lost.status == "error" and lost.error == "NameError: name 'x' is not defined"
    assert execute(kernel, "print('back')").output["stdout"] == "back\n"


@pytest.fixture
def start_kernel(artifacts):
    """Start kernels with settings other than FAST; all are shut down after the test."""
    with kernel_starter(artifacts) as start:
        yield start


# -- the timeout ladder (cases 1, 2, 3, 13, 30) -----------------------------------------


def test_endless_loop_is_interrupted_with_a_clear_error_and_keeps_state(kernel):
    execute(kernel, "x = 42")
    result, seconds = timed(kernel, "while True:\n    pass", timeout=1)
    assert result.status == "timeout"
    assert (
        result.error == "TimeoutError: the cell ran longer than 1s; it was interrupted, state kept"
    )
    assert not result.restarted and result.output["restarted"] is False
    assert "KeyboardInterrupt" not in result.output["stderr"]
    assert seconds < 1 + FAST.interrupt_grace
    assert_alive_with_state(kernel, "42")


UNINTERRUPTIBLE = {
    "sigint-ignored": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "while True:\n    pass",
    "interrupt-swallowed": "while True:\n    try:\n        while True:\n            pass\n"
    "    except BaseException:\n        pass",
    "catastrophic-regex-in-c": "import re\nre.match(r'(a+)+$', 'a' * 40 + 'b')",
}


@pytest.mark.parametrize("code", list(UNINTERRUPTIBLE.values()), ids=list(UNINTERRUPTIBLE))
def test_cell_deaf_to_interrupts_is_killed_after_grace_and_state_reported_lost(kernel, code):
    execute(kernel, "x = 1")
    result, seconds = timed(kernel, code, timeout=1)
    assert result.status == "timeout"
    assert result.error == (
        "TimeoutError: the cell ran longer than 1s and did not stop within 2s of an "
        "interrupt; the kernel was restarted and its state lost"
    )
    assert result.restarted and result.output["restarted"] is True
    # The grace period is honoured, and the forced restart is quick.
    assert 1 + FAST.interrupt_grace <= seconds < 1 + FAST.interrupt_grace + 10
    assert_restarted_fresh(kernel)


def test_unbounded_recursion_past_a_raised_limit_ends_in_a_restart(kernel):
    code = "import sys\nsys.setrecursionlimit(10**7)\ndef f(n):\n    return f(n + 1)\nf(0)"
    execute(kernel, "x = 1")
    result = execute(kernel, code, timeout=2)
    # Either the ladder's forced restart (unwinding millions of frames outlasts the
    # grace) or a crash; never an answer that pretends the kernel is as it was.
    assert result.status in ("timeout", "died"), result.error
    assert result.restarted and "state lost" in (result.error or "")
    assert_restarted_fresh(kernel)


def test_quiet_job_under_its_timeout_is_not_killed(kernel):
    # The table's case is 20 s under a 30 s timeout; 4 s under 6 s checks the same
    # thing (no idle or heartbeat check kills a silent cell) and keeps CI fast.
    result, seconds = timed(kernel, "import time\ntime.sleep(4)\nprint('done')", timeout=6)
    assert result.status == "ok", result.error
    assert result.output["stdout"] == "done\n"
    assert 4 <= seconds < 6


# -- cells that fail in the kernel but leave it alive (cases 4, 5, 6, 12) -----------------


def test_input_fails_at_once_instead_of_hanging(kernel):
    execute(kernel, "x = 7")
    result, seconds = timed(kernel, "input('name? ')", timeout=5)
    assert result.status == "error"
    assert result.error is not None and result.error.startswith("StdinNotImplementedError")
    assert seconds < 2
    assert_alive_with_state(kernel, "7")


def test_huge_allocation_raises_memory_error_and_kernel_lives(kernel):
    execute(kernel, "x = 5")
    result = execute(kernel, "bytearray(10**10)")
    assert result.status == "error" and result.error == "MemoryError"
    assert not result.restarted
    assert_alive_with_state(kernel, "5")


def test_slow_memory_growth_past_the_limit_is_stopped_and_reported(start_kernel):
    # A smaller limit than the default 2 GiB, so the growth reaches it in a moment.
    kernel = start_kernel(memory_mb=1024)
    code = "chunks = []\nwhile True:\n    chunks.append(b'x' * (10 << 20))"
    result = execute(kernel, code, timeout=20)
    if result.status == "error":
        assert result.error == "MemoryError" and not result.restarted
        assert execute(kernel, "print(len(chunks) > 10); del chunks").output["stdout"] == "True\n"
    else:
        assert result.status == "died" and result.restarted, result.error
    assert execute(kernel, "print('alive')").output["stdout"] == "alive\n"


def test_deep_recursion_raises_recursion_error_and_kernel_lives(kernel):
    execute(kernel, "x = 3")
    # IPython's verbose traceback of ~3000 frames takes 2 s idle, 5 s on a busy machine.
    result = execute(kernel, "def f(n):\n    return f(n + 1)\nf(0)", timeout=30)
    assert result.status == "error"
    assert result.error == "RecursionError: maximum recursion depth exceeded"
    assert not result.restarted
    assert_alive_with_state(kernel, "3")


# -- deaths (cases 10, 11, 31, 32) --------------------------------------------------------


def test_exit_from_a_cell_is_detected_within_a_second_and_reported(kernel):
    execute(kernel, "x = 1")
    exit_seen = watch_exit(kernel)
    started = time.monotonic()
    result = execute(kernel, "import os\nos._exit(3)")
    assert exit_seen.get("at", float("inf")) - started < 1.0
    assert result.status == "died" and result.restarted and result.output["restarted"]
    assert result.error == (
        "KernelDied: the kernel died (exit code 3); it was restarted and its state lost"
    )
    assert_restarted_fresh(kernel)


def test_segfault_is_detected_and_reported_with_its_signal(kernel):
    execute(kernel, "x = 1")
    exit_seen = watch_exit(kernel)
    started = time.monotonic()
    result = execute(kernel, "import ctypes\nctypes.string_at(0)")
    assert exit_seen.get("at", float("inf")) - started < 1.0
    assert result.status == "died" and result.restarted
    assert result.error is not None and "killed by SIGSEGV" in result.error
    assert_restarted_fresh(kernel)


def test_kernel_killed_from_outside_mid_cell_is_detected_within_a_second(kernel):
    execute(kernel, "x = 1")
    marker = kernel.sandbox.workdir / "running"
    cell = "open('running', 'w').close()\nimport time\ntime.sleep(60)"
    pending = asyncio.run_coroutine_threadsafe(kernel.execute(cell, 30), runtime_loop())
    deadline = time.monotonic() + 10
    while not marker.exists():
        assert time.monotonic() < deadline, "the cell never started"
        time.sleep(0.02)
    exit_seen = watch_exit(kernel)
    pids = processes_of(kernel.sandbox.uid)
    assert pids
    killed_at = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    result = pending.result(timeout=30)
    assert exit_seen.get("at", float("inf")) - killed_at < 1.0
    assert time.monotonic() - killed_at < 1.0 + 10  # detection, then a fresh kernel
    assert result.status == "died" and result.restarted
    assert result.error is not None and "killed by SIGKILL" in result.error
    assert_restarted_fresh(kernel)


def test_kernel_that_crashes_on_every_start_gives_up_with_a_clear_error(start_kernel):
    crashing = (sys.executable, "-c", "import sys; sys.exit(7)")
    started = time.monotonic()
    with pytest.raises(KernelError) as raised:
        start_kernel(argv=crashing, restart_limit=2)
    assert time.monotonic() - started < 20
    message = str(raised.value)
    assert message.startswith("the kernel failed to start 2 times in a row; last: ")
    assert "exit code 7" in message


# -- output: floods, huge prints, images, stray threads (cases 14, 15, 16, 17) ------------


def test_print_flood_is_capped_interrupted_early_and_client_memory_bounded(start_kernel):
    # Flood detection trips once 20 times the kept output has been dropped; a smaller
    # cap than the default 100k characters trips it in about a second, not ten.
    kernel = start_kernel(output_chars=10_000)
    execute(kernel, "x = 9")
    before = reset_peak_memory()
    result, seconds = timed(kernel, "while True:\n    print('x')", timeout=30)
    assert memory_status()["VmHWM"] - before < MEMORY_GROWTH_LIMIT_MB
    assert result.status == "timeout"
    assert (
        result.error == "TimeoutError: the cell flooded its output; it was interrupted, state kept"
    )
    assert seconds < 10  # the flood, not the 30 s timeout, ended it
    stdout = result.output["stdout"]
    assert result.output["truncated"] is True
    assert re.search(r"\n\[\.\.\. \d+ more characters of stdout truncated \.\.\.\]$", stdout)
    assert len(stdout) < 10_000 + 100
    assert_alive_with_state(kernel, "9")


def test_one_200_mb_print_is_capped_or_reported_and_client_memory_bounded(kernel):
    before = reset_peak_memory()
    result = execute(kernel, "print('y' * 200_000_000)", timeout=20)
    assert memory_status()["VmHWM"] - before < MEMORY_GROWTH_LIMIT_MB
    if result.status == "died":  # the kernel hit its own memory limit: fine, if said
        assert result.restarted and "the kernel died" in (result.error or "")
    elif result.status == "error":
        assert result.error == "MemoryError"
    else:
        assert result.output["truncated"] is True
        assert len(result.output["stdout"]) < FAST.output_chars + 100
    assert execute(kernel, "print('after')").output["stdout"] == "after\n"


def test_50_mb_print_is_capped_with_a_marker_and_client_memory_bounded(kernel):
    before = reset_peak_memory()
    result = execute(kernel, "print('y' * 50_000_000)", timeout=20)
    assert memory_status()["VmHWM"] - before < MEMORY_GROWTH_LIMIT_MB
    assert result.status == "ok", result.error  # one print is not a flood
    dropped = 50_000_001 - FAST.output_chars
    assert result.output["stdout"] == (
        "y" * FAST.output_chars + f"\n[... {dropped} more characters of stdout truncated ...]"
    )
    assert result.output["truncated"] is True


def test_message_over_the_size_limit_is_reported_and_later_output_still_arrives(kernel):
    execute(kernel, "x = 8")
    too_big = FAST.message_bytes + (4 << 20)
    result = execute(kernel, f"print('z' * {too_big})", timeout=20)
    assert result.output["truncated"] is True
    assert "some output was lost: a message exceeded the size limit" in result.output["notes"]
    after, seconds = timed(kernel, "print('after')")
    assert after.output["stdout"] == "after\n" and "notes" not in after.output
    assert seconds < 1.5  # no wait for an idle status that cannot arrive
    assert_alive_with_state(kernel, "8")


def test_huge_images_and_base64_are_dropped_or_truncated_and_say_so(kernel, artifacts):
    code = (
        "from IPython.display import display\n"
        "display({'image/png': 'A' * (8 << 20), 'text/plain': 'big'}, raw=True)\n"
        "display({'application/pdf': 'QUFB' * (3 << 20)}, raw=True)"
    )
    result = execute(kernel, code)
    assert result.status == "ok", result.error
    image, pdf = result.output["display"]
    note = "image/png of 6.0 MiB dropped (limit 5.0 MiB)"
    assert image == {"image/png": {"dropped": note}, "text/plain": "big"}
    assert result.output["notes"] == [note] and result.output["truncated"] is True
    assert result.artifacts == [] and not any(artifacts.glob("*"))
    dropped = 4 * (3 << 20) - FAST.output_chars
    assert pdf["application/pdf"].endswith(
        f"\n[... {dropped} more characters of application/pdf truncated ...]"
    )


def test_small_png_is_saved_as_an_artifact_file(kernel, artifacts):
    code = (
        "import struct, zlib\n"
        "from IPython.display import Image, display\n"
        "def chunk(kind, data):\n"
        "    body = kind + data\n"
        "    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))\n"
        "header = struct.pack('>IIBBBBB', 1, 1, 8, 2, 0, 0, 0)\n"
        "pixels = zlib.compress(b'\\x00\\xff\\x00\\x00')\n"
        "png = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', header) + chunk(b'IDAT', pixels)\n"
        "display(Image(data=png + chunk(b'IEND', b'')))"
    )
    result = execute(kernel, code)
    assert result.status == "ok", result.error
    [artifact] = result.artifacts
    path = Path(artifact.path)
    assert artifact.mime_type == "image/png" and path.parent == artifacts
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert result.output["display"][0]["image/png"] == {
        "artifact": artifact.path,
        "bytes": path.stat().st_size,
    }


def test_background_thread_output_never_lands_in_a_later_cell(kernel):
    started = (
        "import threading, time\n"
        "log = []\n"
        "def chatter():\n"
        "    for i in range(500):\n"
        "        print('background', i)\n"
        "        log.append(i)\n"
        "        time.sleep(0.01)\n"
        "threading.Thread(target=chatter, daemon=True).start()"
    )
    assert execute(kernel, started).status == "ok"
    # The thread keeps printing during the next cell (the cell checks that it did).
    result = execute(kernel, "import time\nn = len(log)\ntime.sleep(0.5)\nprint(len(log) > n)")
    assert result.output["stdout"] == "True\n"
    later = execute(kernel, "print('mine')")
    assert later.output["stdout"] == "mine\n"


# -- concurrency (case 33) ------------------------------------------------------------------


def test_concurrent_executes_on_one_session_are_serialised_and_matched(pool):
    def cell(name: str) -> str:
        return f"import time\nt0 = time.time()\ntime.sleep(0.5)\nprint('{name}', t0, time.time())"

    async def both() -> list[Execution]:
        return await asyncio.gather(
            pool.execute(cell("A"), session="shared"), pool.execute(cell("B"), session="shared")
        )

    first, second = run(both())
    spans = {}
    for result, name in ((first, "A"), (second, "B")):
        assert result.status == "ok", result.error
        label, start, end = result.output["stdout"].split()
        assert label == name
        spans[name] = (float(start), float(end))
    (a_start, a_end), (b_start, b_end) = spans["A"], spans["B"]
    assert a_end <= b_start or b_end <= a_start, spans
    assert {first.output["execution_count"], second.output["execution_count"]} == {1, 2}
    assert list(pool.sessions) == ["shared"]


# -- through the tool and the command line (case 29 and the output format) ----------------


@pytest.fixture(scope="module")
def python_tool():
    """The ``python`` tool; its process-wide pool is closed after this module."""
    needs_bwrap()
    yield agentkit_kernel.python
    run(agentkit_kernel.close_pool())


def test_python_tool_returns_stdout_result_and_display(python_tool):
    code = (
        "print('out')\n"
        "from IPython.display import Markdown, display\n"
        "display(Markdown('**hi**'))\n"
        "6 * 7"
    )
    result = agentkit.call_tool(python_tool, {"code": code, "session": "format"})
    assert result.ok, result.error
    output = result.output
    assert output["stdout"] == "out\n" and output["stderr"] == ""
    assert output["result"] == "42"
    assert [entry["text/markdown"] for entry in output["display"]] == ["**hi**"]
    assert output["truncated"] is False and output["restarted"] is False
    assert output["execution_count"] == 1
    assert "traceback" not in output


def test_python_tool_reports_an_exception_with_an_ansi_free_traceback(python_tool):
    result = agentkit.call_tool(python_tool, {"code": "1/0", "session": "errors"})
    assert not result.ok
    assert result.error == "ZeroDivisionError: division by zero"
    traceback = result.output["traceback"]
    assert "----> 1 1/0" in traceback and traceback.endswith("ZeroDivisionError: division by zero")
    assert "\x1b" not in traceback


def test_python_tool_sessions_keep_variables_and_no_session_is_fresh(python_tool):
    def call(code: str, session: str | None = None) -> agentkit.ToolResult:
        arguments = {"code": code} if session is None else {"code": code, "session": session}
        return agentkit.call_tool(python_tool, arguments)

    assert call("v = 41", "kept").ok
    assert call("v + 1", "kept").output["result"] == "42"
    assert call("v", "other").error == "NameError: name 'v' is not defined"
    assert call("w = 1").ok
    fresh = call("w")
    assert fresh.error == "NameError: name 'w' is not defined"
    assert fresh.output["execution_count"] == 1


def test_ending_a_session_shuts_its_kernel_down_and_the_name_starts_afresh(python_tool):
    assert agentkit.call_tool(python_tool, {"code": "x = 5", "session": "ending"}).ok
    pool = run(agentkit_kernel.get_pool())
    kernel = pool.sessions["ending"]

    assert agentkit.end_session(python_tool, "ending") is True
    assert "ending" not in pool.sessions and not kernel.alive
    assert agentkit.end_session(python_tool, "ending") is False  # nothing kept now
    again = agentkit.call_tool(python_tool, {"code": "x", "session": "ending"})
    assert again.error == "NameError: name 'x' is not defined"
    assert agentkit.end_session(python_tool, "never-started") is False


def test_lone_surrogates_and_nul_bytes_are_decoded_safely_and_stored(python_tool, tmp_path):
    code = "print('\\ud800 a\\x00b')\nraise ValueError('\\udfff')"
    store = agentkit.Store(tmp_path / "runs.db")
    store_run = store.start_run("test", "surrogates")
    result = agentkit.call_tool(python_tool, {"code": code, "session": "odd"}, run=store_run)
    assert result.output["stdout"] == "\\ud800 a\x00b\n"
    assert result.error == "ValueError: \\udfff"
    as_json = result.model_dump_json()
    as_json.encode("utf-8")  # strict: no lone surrogate survived
    assert json.loads(as_json)["output"] == result.output
    [event] = store.events(store_run.id)
    assert event["payload"]["result"] == result.to_dict()


def test_command_line_call_prints_the_tool_result_as_json(tmp_path):
    needs_bwrap()
    agentkit_cli = Path(sys.executable).with_name("agentkit")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AGENTKIT_HOME": str(tmp_path),
        "AGENTKIT_LOAD_PLUGINS": "kernel",
    }
    arguments = json.dumps({"code": "print(6*7)"})
    completed = subprocess.run(
        [str(agentkit_cli), "tools", "call", "python", "--args", arguments, "--json"],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["ok"] is True and result["output"]["stdout"] == "42\n"
