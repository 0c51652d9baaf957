"""The sandboxed side of counterexample search: load user code and run it on inputs.

This module is a worker module (agentkit.worker): its functions run inside a sandbox.
The worker's own process only supervises; user code (a candidate, a reference, a
property, a generator) is loaded and run in a forked child, one per source file, that
answers one input at a time over a pipe. An input that runs past its time limit, or a
child that dies (a crash, ``os._exit``, a segfault, the memory limit), costs that child
only: it is killed, the input is reported as a timeout or a crash, and the next input
gets a fresh child. Whole programs (stdin to stdout) run in a fresh fork per input, and
after each one every process it left is killed and the scratch places (the working
directory, the temporary directories) are emptied, so nothing carries from one input to
the next.

Why user code cannot reach its supervisor: every child closes every descriptor but its
own two pipes (the supervisor's protocol descriptors to the host never reach user code);
the supervisor is not dumpable (no ptrace, no ``/proc/PID/fd`` or ``mem`` of it); and
under bubblewrap it is the pid namespace's init, to which the kernel delivers no signal
from inside the namespace that it has no handler for (no SIGSTOP, no SIGKILL). Whatever
the children do, the host still checks every reply it gets (see executor.py).

Each batch call gets ``until``, the seconds left of the search's budget: no input starts
after it, an input's limit never runs past it, and an input cut short by it is reported
as ``cut`` (not run), never as a timeout.

Only the standard library and the package's other sandbox-side modules (``values``,
``_described``, ``_leftovers``) are imported here.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import io
import json
import os
import random
import select
import signal
import sys
import time
import types
import typing
from typing import Any

from agentkit_refute._described import describe_function as _describe
from agentkit_refute._described import entry_function as _entry
from agentkit_refute._described import literals_of as _literals
from agentkit_refute._leftovers import kill_group, sweep, tracked, wait, wipe_scratch
from agentkit_refute.values import decode, encode

OUTPUT_LIMIT = 1 << 20
REPLY_LIMIT = 8 * OUTPUT_LIMIT  # a reply's JSON, escapes and all
PR_SET_DUMPABLE = 4
_children: dict[str, _Child] = {}


def _untraceable() -> None:
    """Keep user code in the children from tracing this supervisor (or its siblings).

    They run as the same uid, which may ptrace, or read ``/proc/PID/mem`` of, any
    dumpable process of that uid; a child that took over the supervisor could forge
    the outcomes of later inputs. Not dumpable, the supervisor is out of reach, and
    the children inherit the flag on fork.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


_untraceable()
# As the namespace's init, a signal without a handler cannot be sent to it from inside:
# Python's own SIGINT handler would let a child raise KeyboardInterrupt here.
signal.signal(signal.SIGINT, signal.SIG_DFL)


# -- the functions the engine calls (through the worker) ---------------------------------


def describe(source: str, filename: str, entry: str, limit: float = 30.0) -> dict[str, Any]:
    """The parameters of ``entry`` (names, type descriptions, defaults) and module facts,
    once its module has loaded, within ``limit`` seconds."""
    return _child(source, filename).ask({"op": "describe", "entry": entry}, timeout=limit)


def call_batch(
    source: str,
    filename: str,
    entry: str,
    inputs: list[Any],
    limit: float,
    until: float,
    stop_on_timeout: bool = False,
) -> list[dict[str, Any]]:
    """``entry(*args)`` for each encoded args list, ``limit`` seconds each, within
    ``until`` seconds in all; with ``stop_on_timeout``, nothing after a timeout."""
    child = _child(source, filename)
    requests = ({"op": "call", "entry": entry, "args": args} for args in inputs)
    return _within(until, limit, requests, child.ask, stop_on_timeout)


def generate_batch(
    source: str, filename: str, entry: str, draws: list[list[int]], limit: float, until: float
) -> list[dict[str, Any]]:
    """``entry(random.Random(seed), size)`` for each ``[seed, size]``."""
    child = _child(source, filename)
    requests = (
        {"op": "generate", "entry": entry, "seed": seed, "size": size} for seed, size in draws
    )
    return _within(until, limit, requests, child.ask)


def program_batch(
    source: str, filename: str, stdins: list[str], limit: float, until: float
) -> list[dict]:
    """Run a whole program once per stdin text, each in a fresh fork, ``limit`` seconds each."""
    code = compile(source, filename, "exec")
    return _within(
        until,
        limit,
        iter(stdins),
        lambda text, timeout: _run_program(code, filename, text, timeout),
    )


def _within(
    until: float,
    limit: float,
    requests: typing.Iterator[Any],
    run: typing.Callable[[Any, float], dict[str, Any]],
    stop_on_timeout: bool = False,
) -> list[dict[str, Any]]:
    """``run(request, limit)`` for each request until ``until`` seconds have passed."""
    deadline = time.monotonic() + until
    replies: list[dict[str, Any]] = []
    for request in requests:
        left = deadline - time.monotonic()
        if left <= 0:
            replies.append({"status": "cut"})
            break
        reply = run(request, min(limit, left))
        if reply["status"] == "timeout" and left < limit:
            reply = {"status": "cut"}  # the budget ran out, not the input's own limit
        replies.append(reply)
        if reply["status"] == "cut" or (stop_on_timeout and reply["status"] == "timeout"):
            break
    return replies


# -- the supervisor's view of a child ---------------------------------------------------


class _Child:
    """A forked process that loaded one source file and answers requests line by line."""

    def __init__(self, source: str, filename: str) -> None:
        self.source, self.filename = source, filename
        self.pid = 0

    def ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        if not self.pid:
            self._fork()
        started = time.monotonic()
        if self.buffer:
            self.kill()  # an answer to no question: not the protocol, so not an answer
            return {"status": "error", "error": "ProtocolError: it answered before it was asked"}
        try:
            os.write(self.requests, json.dumps(request).encode() + b"\n")
        except OSError:  # it died after its last answer
            line: bytes | None = b""
        else:
            line = self._read_line(started + timeout)
        if line is None:
            self.kill()
            return {"status": "timeout", "seconds": time.monotonic() - started}
        if not line:
            flooded = len(self.buffer) > REPLY_LIMIT
            death = self.kill()
            if flooded:
                death = "ProtocolError: it wrote more than a reply's worth with no end of line"
            return {"status": "crash", "error": death, "seconds": time.monotonic() - started}
        return _reply(line)

    def kill(self) -> str:
        """Kill the child and what it left behind; how it ended."""
        if not self.pid:
            return "not running"
        kill_group(self.pid)
        death = self._death()
        _sweep()
        return death

    def _fork(self) -> None:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(request_w)
            os.close(reply_r)
            _enter_child(request_r, reply_w)
            _serve(self.source, self.filename, request_r, reply_w)  # never returns
        tracked.add(pid)
        os.close(request_r)
        os.close(reply_w)
        self.pid, self.requests, self.replies, self.buffer = pid, request_w, reply_r, b""

    def _read_line(self, deadline: float) -> bytes | None:
        """A reply line, b"" if the child died (or wrote more than a reply's worth with
        no end of line), None if the deadline passed."""
        while b"\n" not in self.buffer:
            if len(self.buffer) > REPLY_LIMIT:
                return b""
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.replies], [], [], left)[0]:
                return None
            chunk = os.read(self.replies, 1 << 20)
            if not chunk:
                return b""
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line

    def _death(self) -> str:
        pid, self.pid = self.pid, 0
        for fd in (self.requests, self.replies):
            with contextlib.suppress(OSError):
                os.close(fd)
        status = wait(pid)
        if os.WIFSIGNALED(status):
            number = os.WTERMSIG(status)
            return f"killed by signal {number} ({signal.Signals(number).name})"
        return f"the process exited with status {os.WEXITSTATUS(status)}"


def _reply(line: bytes) -> dict[str, Any]:
    """A child's answer, as far as it is one: the code under test shares the child and
    can write to the reply pipe, so anything but a well-formed answer is its fault."""
    try:
        reply = json.loads(line)
    except ValueError:
        reply = None
    if isinstance(reply, dict) and (
        (reply.get("status") == "ok" and ("output" in reply or "description" in reply))
        or (reply.get("status") == "error" and isinstance(reply.get("error"), str))
    ):
        return reply
    return {
        "status": "error",
        "type": "ProtocolError",
        "error": "ProtocolError: the code wrote something else than an answer to its reply pipe",
        "seconds": 0.0,
    }


def _child(source: str, filename: str) -> _Child:
    key = hashlib.sha256(f"{filename}\0{source}".encode()).hexdigest()
    if key not in _children:
        _children[key] = _Child(source, filename)
    return _children[key]


# -- the child -------------------------------------------------------------------------


def _serve(source: str, filename: str, requests: int, replies: int) -> None:
    """Load the source, then answer requests until the pipe closes. Runs in the child."""
    reply_file = os.fdopen(replies, "wb", buffering=0)
    try:
        module = _load(source, filename)
        loaded = None
    except BaseException as exc:  # the error is every request's answer
        module, loaded = None, _error(exc)
    for line in os.fdopen(requests, "rb"):
        request = json.loads(line)
        field = request.pop("many", None)
        singles = [{**request, field: value} for value in request[field]] if field else [request]
        for single in singles:  # one write each: the parent times every input on its own
            answer = loaded or _answer(module, single, source)
            reply_file.write(json.dumps(answer).encode() + b"\n")
    os._exit(0)


def _answer(module: types.ModuleType, request: dict[str, Any], source: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        if request["op"] == "describe":
            description = _describe(module, request["entry"])
            return {"status": "ok", "description": {**description, "literals": _literals(source)}}
        function = _entry(module, request["entry"])
        if request["op"] == "generate":
            result = function(random.Random(request["seed"]), request["size"])
            return {"status": "ok", "output": encode(result), "seconds": _since(started)}
        args = decode(request["args"], lambda name: _dataclass(module, name))
        before = encode(args)
        result = function(*args)
        output = encode(result)  # first: drawing a generator runs its body, which may mutate
        after = encode(args)
        reply = {"status": "ok", "output": output, "seconds": _since(started)}
        if after != before:
            reply["args_after"] = after
        return reply
    except BaseException as exc:
        return _error(exc, _since(started))


def _load(source: str, filename: str) -> types.ModuleType:
    name = os.path.splitext(os.path.basename(filename))[0] or "candidate"
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module  # dataclasses and typing look their module up by name
    exec(compile(source, filename, "exec"), module.__dict__)
    return module


def _dataclass(module: types.ModuleType, name: str) -> type | None:
    found = getattr(module, name, None)
    return found if isinstance(found, type) else None


def _error(exc: BaseException, seconds: float = 0.0) -> dict[str, Any]:
    message = _safe_str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return {"status": "error", "type": type(exc).__name__, "error": text[:2000], "seconds": seconds}


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:
        return "<unprintable>"


def _since(started: float) -> float:
    return time.perf_counter() - started


def _quiet() -> None:
    """What user code prints goes nowhere (the replies have their own pipe)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def _sweep() -> None:
    """Kill what the children left behind, keeping the live children and theirs."""
    sweep({child.pid for child in _children.values() if child.pid})


def _enter_child(*keep: int) -> None:
    """A fresh child's first steps: its own process group, output to nowhere, and no
    descriptor but 0-2 and ``keep`` (the supervisor's, to the host above all)."""
    os.setpgid(0, 0)
    _quiet()
    low = 3
    for fd in sorted(keep):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))


# -- whole programs ----------------------------------------------------------------------


def _run_program(code: types.CodeType, filename: str, stdin: str, timeout: float) -> dict:
    reply_r, reply_w = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(reply_r)
        _enter_child(reply_w)
        reply = _program_outcome(code, filename, stdin)
        with os.fdopen(reply_w, "wb") as out:
            out.write(json.dumps(reply).encode())
        os._exit(0)
    tracked.add(pid)
    os.close(reply_w)
    exited = os.pidfd_open(pid)
    try:
        data, timed_out = _read_reply(reply_r, exited, started + timeout)
    finally:
        os.close(exited)
        os.close(reply_r)
    kill_group(pid)  # it answered or it ran out of time: either way, it is done
    status = wait(pid)
    seconds = time.monotonic() - started
    _sweep()
    wipe_scratch()
    if timed_out:
        return {"status": "timeout", "seconds": seconds}
    if not data:
        cause = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else "no reply"
        return {"status": "crash", "error": f"the program died ({cause})", "seconds": seconds}
    return _program_reply(data)


def _program_reply(data: bytes) -> dict[str, Any]:
    """The program child's answer as far as it is one (the program shares the child)."""
    try:
        reply = json.loads(data)
    except ValueError:
        reply = None
    if isinstance(reply, dict) and (
        (reply.get("status") == "ok" and isinstance(reply.get("output"), str))
        or (reply.get("status") == "error" and isinstance(reply.get("error"), str))
    ):
        return reply
    return {"status": "error", "error": "ProtocolError: the program wrote to its reply pipe"}


def _program_outcome(code: types.CodeType, filename: str, stdin: str) -> dict[str, Any]:
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    out = io.BytesIO()
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    started = time.perf_counter()
    try:
        exec(code, {"__name__": "__main__", "__file__": filename, "__builtins__": __builtins__})
    except SystemExit as exc:
        if exc.code not in (None, 0):
            return _error(RuntimeError(f"exit status {exc.code}"), _since(started))
    except BaseException as exc:
        return _error(exc, _since(started))
    sys.stdout.flush()
    text = out.getvalue()[:OUTPUT_LIMIT].decode("utf-8", "replace")
    return {"status": "ok", "output": text, "seconds": _since(started)}


def _read_reply(fd: int, exited: int, deadline: float) -> tuple[bytes, bool]:
    """What the program's process wrote to its reply pipe, up to its exit (``exited`` is
    its pidfd: a process it left behind may hold the pipe open) or the deadline; True
    when the deadline came first. More than a reply's worth is cut off."""
    data = b""
    os.set_blocking(fd, False)
    while len(data) <= REPLY_LIMIT:
        left = deadline - time.monotonic()
        ready = select.select([fd, exited], [], [], max(left, 0))[0] if left > 0 else []
        if not ready:
            return data, True
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            chunk = None
        if chunk == b"" or (chunk is None and exited in ready):
            return data, False
        data += chunk or b""
    return data, False
