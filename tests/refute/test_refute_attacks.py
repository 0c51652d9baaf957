"""Refute under attack: code under suspicion that tries to forge, frame or dodge its verdict.

Every test runs the real search against real sandboxed workers (bubblewrap where it is
installed), and each one is an attack that got through before the judge was hardened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from agentkit import OpenAIModel
from agentkit.sandbox import bwrap_path
from agentkit_refute import RefuteError, Target, refute
from agentkit_refute.plugin import CounterexampleVerifier
from agentkit_refute.protocol import protocol_problem

AGENTKIT = str(Path(sys.executable).with_name("agentkit"))
needs_bwrap = pytest.mark.skipif(
    bwrap_path() is None, reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
)

REFERENCE = """
def median(xs: list[int]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return 0.0
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2
"""

# A buggy median (wrong on every even-length list) that, on its first call, tries every
# way to answer the host itself: it writes forged "every input skipped" replies to every
# descriptor it holds and stops its supervisor, directly and from a forked helper.
FORGER = r"""
import json, os, signal, struct

def _forge():
    frame = json.dumps({"ok": True, "value": []}).encode()
    for fd in range(3, 256):
        try:
            os.write(fd, struct.pack(">I", len(frame)) + frame)
        except OSError:
            pass
    for pid in {os.getppid(), 1}:
        try:
            os.kill(pid, signal.SIGSTOP)
        except OSError:
            pass

_done = []

def median(xs: list[int]) -> float:
    if not _done:
        _done.append(1)
        _forge()
        if os.fork() == 0:
            _forge()
            os._exit(0)
    s = sorted(xs)
    return s[len(s) // 2] if s else 0.0
"""


def write(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


@needs_bwrap
def test_a_candidate_cannot_forge_not_found_by_writing_to_or_stopping_its_supervisor(tmp_path):
    candidate = write(tmp_path, "forger.py", FORGER)
    reference = write(tmp_path, "reference.py", REFERENCE)
    result = refute(
        Target.function(candidate, "median"),
        reference=Target.function(reference, "median"),
        budget=5,
    )
    # Its garbage reached only its own reply pipe: a crash of the candidate, reproduced
    # on fresh workers, never a forged "nothing found".
    assert result.status == "found" and result.kind == "crash", result.summary
    assert "ProtocolError" in result.error


@needs_bwrap
def test_nor_in_property_mode(tmp_path):
    candidate = write(tmp_path, "forger.py", FORGER)
    prop = write(
        tmp_path,
        "prop.py",
        REFERENCE + "\n\ndef agrees(xs: list[int], out) -> bool:\n    return out == median(xs)\n",
    )
    result = refute(
        Target.function(candidate, "median"), prop=Target.function(prop, "agrees"), budget=5
    )
    assert result.status == "found" and result.kind == "crash", result.summary


def test_a_stopped_supervisor_without_bubblewrap_is_untested_never_not_found(tmp_path):
    # Without bubblewrap the supervisor is not its namespace's init: the candidate can stop
    # it. The host waits out the budget, not for ever, and says it could not test.
    write(
        tmp_path,
        "stopper.py",
        """
        import os, signal

        def median(xs: list[int]) -> float:
            os.kill(os.getppid(), signal.SIGSTOP)
            return 0.0
        """,
    )
    write(tmp_path, "reference.py", REFERENCE)
    env = {**os.environ, "AGENTKIT_BWRAP": "", "AGENTKIT_LOAD_PLUGINS": "refute"}
    args = [AGENTKIT, "refute", "stopper.py", "--reference", "reference.py", "--budget", "3"]
    started = time.monotonic()
    shown = subprocess.run(
        [*args, "--json"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60
    )
    assert time.monotonic() - started < 30
    if "is not searchable by others" in shown.stderr:  # a checkout in a private directory
        pytest.skip(shown.stderr.strip().splitlines()[-1])
    assert shown.returncode == 2, shown.stderr
    document = json.loads(shown.stdout)
    assert document["status"] == "untested" and "stuck" in document["reason"]
    errors = [line for line in shown.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith("Error: untested: the candidate's worker")


def test_nothing_tested_is_untested_with_exit_2_and_one_line(tmp_path):
    write(
        tmp_path,
        "picky.py",
        """
        def reference(x: int) -> int:
            raise ValueError("no input is valid")

        def candidate(x: int) -> int:
            return x
        """,
    )
    args = [AGENTKIT, "refute", "picky.py", "--entry", "candidate"]
    args += ["--reference", "picky.py:reference", "--budget", "2"]
    env = {**os.environ, "AGENTKIT_LOAD_PLUGINS": "refute"}
    shown = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert shown.returncode == 2
    [line] = [line for line in shown.stderr.splitlines() if line.startswith("Error:")]
    assert line.startswith("Error: untested: all ") and "inputs were invalid" in line


def test_outputs_that_cannot_be_compared_are_untested(tmp_path):
    code = write(
        tmp_path,
        "locks.py",
        """
        import threading

        def reference(x: int):
            return threading.Lock()

        def candidate(x: int):
            return threading.Lock()
        """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=2
    )
    assert result.status == "untested" and "cannot be compared" in result.reason


MODEL_FRAMER = """Inputs aimed at the bug:

```python
import os, signal, threading, time

def _kill_everything():
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        time.sleep(0.001)

threading.Thread(target=_kill_everything, daemon=True).start()

def generate(rng, size):
    time.sleep(0.01)
    return [rng.randint(-9, 9) for _ in range(size)]
```
"""


@needs_bwrap
def test_a_model_generator_cannot_frame_a_correct_candidate(tmp_path, fake_openai):
    code = write(tmp_path, "good.py", REFERENCE)
    fake_openai.enqueue(MODEL_FRAMER, MODEL_FRAMER, MODEL_FRAMER)
    model = OpenAIModel("fake-model", base_url=fake_openai.base_url)
    result = refute(
        Target.function(code, "median"),
        reference=Target.function(code, "median"),
        budget=5,
        model=model,
    )
    assert result.status == "not_found" and result.kind is None
    assert result.searched.get("model_inputs", 0) > 0  # its inputs were judged, harmlessly


CHOOSY = """
from typing import Literal

def median(xs: Literal[(1, 2, 3), (5, 7, 9)]) -> float:
    s = sorted(xs)
    return s[len(s) // 2] if s else 0.0
"""


def test_the_candidate_does_not_choose_its_own_inputs(tmp_path):
    candidate = write(tmp_path, "choosy.py", CHOOSY)
    typed = write(
        tmp_path,
        "typed.py",
        REFERENCE + "\n\ndef agrees(xs: list[int], out) -> bool:\n    return out == median(xs)\n",
    )
    result = refute(
        Target.function(candidate, "median"), prop=Target.function(typed, "agrees"), budget=5
    )
    assert result.status == "found" and result.input == [0, 1]  # not one of its two lists

    untyped = write(
        tmp_path,
        "untyped.py",
        REFERENCE + "\n\ndef agrees(xs, out):\n    return out == median(xs)\n",
    )
    with pytest.raises(RefuteError, match="does not choose its own inputs") as refused:
        refute(
            Target.function(candidate, "median"), prop=Target.function(untyped, "agrees"), budget=2
        )
    assert "\n" not in str(refused.value)


def test_as_a_verifier_it_takes_the_problems_signature(tmp_path):
    problem = {
        "entry": "median",
        "property": REFERENCE + "\n\ndef prop(xs, out):\n    return out == median(xs)\n",
        "signature": "def median(xs: list[int]) -> float: ...",
        "budget": 4,
    }
    verdict = CounterexampleVerifier().verify(textwrap.dedent(CHOOSY), problem)
    assert verdict.status == "failed"  # [0, 1]'s median 0.5 is not in the list
    assert verdict.counterexample["input"] == [0, 1]


def test_a_slow_input_is_not_a_timeout_when_it_answers_within_the_full_limit(tmp_path):
    code = write(
        tmp_path,
        "slow.py",
        """
        import time

        def f(x: int) -> int:
            if x == 5:
                time.sleep(0.6)
            return x
        """,
    )
    result = refute(
        Target.function(code, "f"), reference=Target.function(code, "f"), budget=5, timeout=2
    )
    assert result.status == "not_found" and result.kind is None


def test_a_timeout_is_reported_at_the_full_limit_on_the_reported_input(tmp_path):
    code = write(
        tmp_path,
        "hang.py",
        """
        import time

        def reference(x: int) -> int:
            return x

        def candidate(x: int) -> int:
            if x >= 3:
                time.sleep(0.3)  # past the short first limit, within the full one...
            if x >= 1000:
                while True:  # ...and truly hanging from 1000 on
                    pass
            return x
        """,
    )
    started = time.monotonic()
    result = refute(
        Target.function(code, "candidate"),
        reference=Target.function(code, "reference"),
        budget=12,
        timeout=2,
    )
    assert result.status == "found" and result.kind == "timeout", result.summary
    assert result.input >= 1000 and result.error == "no answer within 2 s"
    assert time.monotonic() - started < 12 + 2.5


def test_a_failure_kept_by_state_between_inputs_is_not_a_counterexample(tmp_path):
    code = write(
        tmp_path,
        "counter.py",
        """
        calls = 0

        def reference(x: int) -> int:
            return x

        def candidate(x: int) -> int:
            global calls
            calls += 1
            return x if calls < 20 else x + 1
        """,
    )
    result = refute(
        Target.function(code, "candidate"), reference=Target.function(code, "reference"), budget=3
    )
    assert not result.found and result.status == "untested"
    assert result.notes and "did not fail again on fresh workers" in result.notes[0]


def test_stdin_programs_share_nothing_between_inputs(tmp_path):
    # Each run leaves marks (files in /tmp, the working directory and /dev/shm, and a
    # process that outlives it) and answers wrongly when it finds one.
    candidate = write(
        tmp_path,
        "marks.py",
        """
        import os, subprocess, sys, time
        places = ["/tmp/mark", "mark", "/dev/shm/mark"]
        places.append(os.path.join(os.environ.get("TMPDIR", "/tmp"), "m"))
        seen = any(os.path.exists(p) for p in places)
        for p in places:
            try:
                open(p, "w").close()
            except OSError:
                pass
        if os.fork() == 0:
            os.setsid()
            time.sleep(0.2)
            open("/tmp/late-mark", "w").close()
            os._exit(0)
        seen = seen or os.path.exists("/tmp/late-mark")
        n = int(sys.stdin.read())
        print(n + 1 if seen else n)
        """,
    )
    reference = write(tmp_path, "reference.py", "print(int(input()))\n")
    generator = write(
        tmp_path, "gen.py", "def generate(rng, size):\n    return str(rng.randint(0, 9 * size))\n"
    )
    result = refute(
        Target.program(candidate),
        reference=Target.program(reference),
        generator=Target.function(generator, "generate"),
        budget=4,
    )
    assert result.status == "not_found", result.summary
    assert result.tries > 20


@pytest.mark.parametrize(
    "candidate, reference",
    [
        ("while True:\n        pass", "return x"),  # a candidate that always hangs
        ("return x", "if x > 3:\n        while True:\n            pass\n    return x"),
        ("time.sleep(0.3)\n    return x", "return x"),  # slow on every input
    ],
    ids=["hanging-candidate", "reference-hangs-on-some-inputs", "slow-candidate"],
)
def test_the_budget_bounds_the_whole_call(tmp_path, candidate, reference):
    code = write(
        tmp_path,
        "code.py",
        f"import time\n\ndef candidate(x: int) -> int:\n    {candidate}\n\n"
        f"def reference(x: int) -> int:\n    {reference}\n",
    )
    started = time.monotonic()
    refute(
        Target.function(code, "candidate"),
        reference=Target.function(code, "reference"),
        budget=4,
        timeout=2,
    )
    # About a second past the budget on this machine; more margin for a loaded CI one.
    assert time.monotonic() - started < 4 + 2.5


def test_a_module_that_never_finishes_loading_is_refused_within_the_budget(tmp_path):
    code = write(
        tmp_path,
        "stuck.py",
        "while True:\n    pass\n\ndef candidate(x: int) -> int:\n    return x\n",
    )
    reference = write(tmp_path, "ref.py", "def candidate(x: int) -> int:\n    return x\n")
    started = time.monotonic()
    with pytest.raises(RefuteError, match=r"stuck\.py: cannot load it: it did not load within"):
        refute(
            Target.function(code, "candidate"),
            reference=Target.function(reference, "candidate"),
            budget=3,
        )
    assert time.monotonic() - started < 3 + 2.5


@pytest.mark.parametrize(
    "reply, text_output",
    [
        ({"status": "timeout"}, False),  # the host reads a timeout's time
        ({"status": "crash", "error": {"not": "text"}}, False),
        ({"status": "error"}, False),
        ({"status": "ok", "output": [1, 2]}, True),  # a program's output is text
        ({"status": "ok", "output": {"$": "no-such-tag"}}, False),
        ({"status": "skipped"}, False),  # only the host decides what was not run
    ],
)
def test_a_reply_the_host_would_choke_on_is_a_protocol_problem(reply, text_output):
    problem = protocol_problem([reply], 1, 0.0, False, text_output=text_output)
    assert problem is not None and problem.startswith("reply 1: ")
