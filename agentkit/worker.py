"""Persistent sandboxed Python workers: import a module once, call its functions many times.

Tools whose work can hang or blow up (a pathological integral, an SMT query, a LaTeX
parse, a candidate program under counterexample search) run it in a worker: a Python
process inside a :class:`~agentkit.sandbox.Sandbox` that imports one module at start
(paying heavy imports such as sympy or z3 once) and then answers calls to that module's
functions. A call that runs past its timeout kills the worker, whatever it was doing;
the next call starts a fresh one.

The protocol is length-prefixed JSON over the worker's stdin and a private duplicate of
its stdout. The worker points its own file descriptor 1 at stderr before importing
anything, so what the called code prints can never be mistaken for a reply. Code that
runs inside could still forge replies by writing to the protocol descriptor: a worker's
answers are only as trustworthy as the code it runs, and the sandbox bounds the harm.

The module is imported inside the sandbox, which sees the Python environment and, read
only, the module's own top-level package and agentkit's package (nothing else of a
source checkout), so a worker module may import its package, agentkit and third-party
libraries.
"""

from __future__ import annotations

import atexit
import collections
import concurrent.futures
import contextlib
import dataclasses
import importlib.util
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path
from typing import IO, Any

from agentkit.errors import AgentkitError
from agentkit.sandbox import Sandbox, SandboxPolicy

__all__ = [
    "SandboxedWorker",
    "WorkerCallError",
    "WorkerCrashed",
    "WorkerError",
    "WorkerPool",
    "WorkerTimeout",
]

HEADER = struct.Struct(">I")
DEFAULT_REPLY_LIMIT = 64 << 20
STDERR_TAIL = 4096

# Runs as ``python -c BOOT MODULE`` inside the sandbox; imports nothing from agentkit.
BOOT = r"""
import importlib, json, os, struct, sys, traceback
if sys.path and sys.path[0] == "":
    del sys.path[0]
HEADER = struct.Struct(">I")
requests = os.fdopen(os.dup(0), "rb", buffering=0)
replies = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)
devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(devnull, 0)

def read_exact(n):
    data = b""
    while len(data) < n:
        chunk = requests.read(n - len(data))
        if not chunk:
            sys.exit(0)
        data += chunk
    return data

def send(reply):
    try:
        data = json.dumps(reply, allow_nan=False).encode("utf-8", "surrogatepass")
    except (TypeError, ValueError) as exc:
        data = json.dumps({"ok": False, "type": "TypeError",
                           "message": f"the result is not JSON: {exc}", "traceback": ""}).encode()
    replies.write(HEADER.pack(len(data)) + data)

module = importlib.import_module(sys.argv[1])
send({"ready": True})
while True:
    request = json.loads(read_exact(HEADER.unpack(read_exact(4))[0]))
    name = request["function"]
    try:
        if name.startswith("_"):
            raise AttributeError(f"{name!r} is private")
        reply = {"ok": True, "value": getattr(module, name)(**request["kwargs"])}
    except BaseException as exc:
        reply = {"ok": False, "type": type(exc).__name__, "message": str(exc)[:4000],
                 "traceback": traceback.format_exc(limit=20)[-8000:]}
    sys.stderr.flush()
    send(reply)
"""


class WorkerError(AgentkitError):
    """A sandboxed worker could not complete a call."""


class WorkerTimeout(WorkerError):
    """The call ran past its timeout; the worker was killed (a fresh one starts next call)."""


class WorkerCrashed(WorkerError):
    """The worker died during a call or at start (memory limit, a signal, a bad reply)."""


class WorkerCallError(WorkerError):
    """The called function raised inside the worker."""

    def __init__(self, type_name: str, message: str, traceback: str = "") -> None:
        super().__init__(f"{type_name}: {message}" if message else type_name)
        self.type_name = type_name
        self.message = message
        self.traceback = traceback


_live_workers: weakref.WeakSet[SandboxedWorker] = weakref.WeakSet()
_SPAWNER = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="agentkit-worker-spawner")
# Closing retired workers and starting spares: off the callers' path.
_BACKGROUND = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="agentkit-worker-bg")


class SandboxedWorker:
    """One worker process in its own sandbox; one call at a time (callers serialise)."""

    def __init__(
        self,
        module: str,
        *,
        policy: SandboxPolicy | None = None,
        label: str = "worker",
        startup_timeout: float = 60.0,
        reply_limit: int = DEFAULT_REPLY_LIMIT,
    ) -> None:
        self.module = module
        self.label = label
        self.startup_timeout = startup_timeout
        self.reply_limit = reply_limit
        self.sandbox = Sandbox(_with_module_visible(policy or SandboxPolicy.from_config(), module))
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_tail: collections.deque[bytes] = collections.deque()
        self._drainer: threading.Thread | None = None
        self._lock = threading.Lock()
        self.retired = False  # close_soon() was called
        _live_workers.add(self)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the process (if it is not running) and wait until the module is imported."""
        if self.sandbox.closed or self.retired:
            raise WorkerError(f"{self.label}: the worker is closed")
        if self.running:
            return
        self.sandbox.require_reachable(sys.prefix, "the Python environment")
        for path in self.sandbox.policy.readonly_paths:
            self.sandbox.require_reachable(path, "the worker's code")
        argv = [sys.executable, "-c", BOOT, self.module]
        kwargs = self.sandbox.popen_kwargs()
        kwargs["stdin"] = subprocess.PIPE
        command = self.sandbox.command(argv)
        # bubblewrap's --die-with-parent fires when the *thread* that started it exits,
        # so workers are started by one thread that lives as long as the process.
        self._proc = _SPAWNER.submit(
            subprocess.Popen, command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
        ).result()
        self._stderr_tail = collections.deque()
        self._drainer = threading.Thread(
            target=_drain, args=(self._proc.stderr, self._stderr_tail), daemon=True
        )
        self._drainer.start()
        try:
            self._receive(time.monotonic() + self.startup_timeout, what="start")
        except WorkerError:
            self._kill()
            raise

    def call(self, function: str, /, *, timeout: float, **kwargs: Any) -> Any:
        """``module.function(**kwargs)`` inside the sandbox; its JSON result.

        Raises :class:`WorkerTimeout`, :class:`WorkerCrashed` or :class:`WorkerCallError`.
        """
        with self._lock:
            self.start()
            request = json.dumps({"function": function, "kwargs": kwargs}).encode()
            try:
                self._send(request)
                reply = self._receive(time.monotonic() + timeout, what=function)
            except WorkerError:
                self._kill()
                raise
            if reply.get("ok"):
                return reply.get("value")
            raise WorkerCallError(reply["type"], reply["message"], reply.get("traceback", ""))

    def close(self) -> None:
        """Kill the process and remove the sandbox."""
        self._kill()
        self.sandbox.close()

    def close_soon(self) -> None:
        """:meth:`close` on a background thread: for callers whose answer is ready and who
        should not wait the tens of milliseconds that finding and killing every process
        of the sandbox takes. The worker takes no more calls from now on."""
        self.retired = True
        _BACKGROUND.submit(self.close)

    def __enter__(self) -> SandboxedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, payload: bytes) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(HEADER.pack(len(payload)) + payload)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise self._crashed("before the call") from exc

    def _receive(self, deadline: float, *, what: str) -> dict[str, Any]:
        (size,) = HEADER.unpack(self._read_exact(HEADER.size, deadline, what))
        if size > self.reply_limit:
            raise WorkerCrashed(
                f"{self.label}: {what} replied with {size} bytes, over the {self.reply_limit} limit"
            )
        try:
            reply = json.loads(self._read_exact(size, deadline, what))
        except ValueError as exc:
            raise WorkerCrashed(f"{self.label}: {what} sent a malformed reply ({exc})") from exc
        if not isinstance(reply, dict):
            raise WorkerCrashed(f"{self.label}: {what} sent a malformed reply")
        return reply

    def _read_exact(self, size: int, deadline: float, what: str) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        data = bytearray()
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise WorkerTimeout(f"{self.label}: {what} timed out after {self._budget(what)}")
            chunk = os.read(fd, min(size - len(data), 1 << 20))
            if not chunk:
                raise self._crashed(f"during {what}")
            data += chunk
        return bytes(data)

    def _budget(self, what: str) -> str:
        return f"{self.startup_timeout:g} s" if what == "start" else "its time limit"

    def _crashed(self, when: str) -> WorkerCrashed:
        assert self._proc is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(2)
        if self._drainer is not None:
            self._drainer.join(2)  # its last words may still be in the pipe
        code = self._proc.returncode
        # Under bubblewrap a signal shows as the exit status 128 + signal.
        signal = -code if code is not None and code < 0 else (code or 0) - 128
        cause = f"killed by signal {signal}" if 0 < signal < 65 else f"exit {code}"
        tail = b"".join(self._stderr_tail).decode("utf-8", "replace").strip()
        last = tail.splitlines()[-1] if tail else "no output"
        return WorkerCrashed(f"{self.label}: the worker died {when} ({cause}): {last}")

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        self.sandbox.kill_all(proc)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]


class WorkerPool:
    """Up to ``size`` workers of one module; :meth:`call` borrows an idle one (thread-safe)."""

    def __init__(
        self,
        module: str,
        *,
        size: int = 2,
        policy: SandboxPolicy | None = None,
        label: str | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.module = module
        self.size = size
        self.label = label or module
        self._make = lambda: SandboxedWorker(
            module, policy=policy, label=self.label, startup_timeout=startup_timeout
        )
        self._idle: list[SandboxedWorker] = []
        self._workers: list[SandboxedWorker] = []
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.closed = False

    def call(self, function: str, /, *, timeout: float, **kwargs: Any) -> Any:
        """As :meth:`SandboxedWorker.call`, on the first idle worker.

        Waits for one at most ``timeout`` seconds (then :class:`WorkerTimeout`, with
        nothing run): a pool whose workers are all stuck never blocks its callers for ever.
        """
        if not self._slots.acquire(timeout=timeout):
            raise WorkerTimeout(
                f"{self.label}: all {self.size} workers stayed busy for {timeout:g} s"
            )
        try:
            worker = self._checkout()
            try:
                return worker.call(function, timeout=timeout, **kwargs)
            finally:
                with self._lock:
                    if self.closed:
                        worker.close()
                    else:
                        self._idle.append(worker)
        finally:
            self._slots.release()

    def warm(self) -> None:
        """Start one worker now, so the first call does not pay the start."""
        with self._slots:
            worker = self._checkout()
            try:
                worker.start()
            finally:
                with self._lock:
                    self._idle.append(worker)

    def close(self) -> None:
        """Kill every worker; calls in flight fail with :class:`WorkerCrashed`."""
        with self._lock:
            self.closed = True
            workers, self._workers, self._idle = self._workers, [], []
        for worker in workers:
            worker.close()

    def _checkout(self) -> SandboxedWorker:
        with self._lock:
            if self.closed:
                raise WorkerError(f"{self.label}: the worker pool is closed")
            if self._idle:
                return self._idle.pop()
            worker = self._make()
            self._workers.append(worker)
            return worker


def _with_module_visible(policy: SandboxPolicy, module: str) -> SandboxPolicy:
    """``policy`` plus, read only, the code of ``module``'s top-level package and agentkit's.

    Installed from wheels both are in site-packages, which the sandbox shows anyway; in
    an editable (development) install they are in a source tree, of which only the
    package directories themselves are shown, not the rest of the checkout.
    """
    shown = [path for path in (_package_path(module), _package_path("agentkit")) if path]
    shown = [path for path in dict.fromkeys(shown) if not _inside_environment(path)]
    if not shown:
        return policy
    env = dict(policy.env)
    parents = dict.fromkeys(str(Path(path).parent) for path in shown)
    env["PYTHONPATH"] = os.pathsep.join([*parents, *filter(None, [env.get("PYTHONPATH")])])
    return dataclasses.replace(
        policy, readonly_paths=(*policy.readonly_paths, *shown), env=tuple(env.items())
    )


class FreshWorkers:
    """Started workers of one module that have never run a call, each handed out once.

    For code that must not share a process with whatever ran before it (model-written
    code: one candidate could leave a trap for the next): :meth:`take` returns a worker
    no call has touched, already started when a spare is ready. :meth:`retire` closes a
    taken worker and starts its replacement, both in the background and after the
    caller's work, so the start never competes with it for the CPU, and the next take
    rarely waits for one.
    """

    def __init__(
        self,
        module: str,
        *,
        spares: int = 1,
        policy: SandboxPolicy | None = None,
        label: str | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.module, self.spares = module, spares
        self.label = label or module
        self._make = lambda: SandboxedWorker(
            module, policy=policy, label=self.label, startup_timeout=startup_timeout
        )
        self._ready: collections.deque[SandboxedWorker] = collections.deque()
        self._starting = 0
        self._lock = threading.Condition()
        self.closed = False

    def take(self) -> SandboxedWorker:
        """A started, unused worker: a spare if one is ready, else one started now."""
        with self._lock:
            if self.closed:
                raise WorkerError(f"{self.label}: closed")
            while self._ready:
                worker = self._ready.popleft()
                if worker.running:
                    return worker
                worker.close()  # died while it waited
        worker = self._make()  # in the caller's thread: sandbox warnings reach it
        try:
            worker.start()
        except BaseException:
            worker.close()
            raise
        return worker

    def retire(self, worker: SandboxedWorker) -> None:
        """Close a taken worker, then start a spare in its place (both in the background)."""
        worker.close_soon()
        self._replenish()

    def warm(self, timeout: float = 60.0) -> bool:
        """Start the spares now and wait (up to ``timeout`` seconds) until they are ready."""
        self._replenish()
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._ready) < self.spares and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0 or (not self._starting and len(self._ready) < self.spares):
                    return False  # a spare failed to start: take() will say why
                self._lock.wait(left)
            return len(self._ready) >= self.spares

    @property
    def ready(self) -> int:
        """How many started spares are waiting to be taken."""
        with self._lock:
            return len(self._ready)

    def close(self) -> None:
        """Close the spares; workers already taken are their takers' to close."""
        with self._lock:
            self.closed = True
            ready, self._ready = list(self._ready), collections.deque()
            self._lock.notify_all()
        for worker in ready:
            worker.close()

    def _replenish(self) -> None:
        with self._lock:
            wanted = max(self.spares - len(self._ready) - self._starting, 0)
            self._starting += wanted
        for _ in range(wanted):
            _BACKGROUND.submit(self._start_spare)

    def _start_spare(self) -> None:
        worker = None
        try:
            worker = self._make()
            worker.start()
        except Exception:  # a spare that cannot start: take() starts one and reports why
            if worker is not None:
                worker.close()
            worker = None
        with self._lock:
            self._starting -= 1
            if worker is not None and not self.closed:
                self._ready.append(worker)
                worker = None
            self._lock.notify_all()
        if worker is not None:
            worker.close()


def _package_path(module: str) -> str | None:
    """The directory of ``module``'s top-level package (or the file of a plain module)."""
    top = module.partition(".")[0]
    spec = importlib.util.find_spec(top)
    if spec is None:
        raise WorkerError(f"no module named {top!r} to run in a worker")
    if spec.submodule_search_locations:
        return str(Path(next(iter(spec.submodule_search_locations))).resolve())
    return str(Path(spec.origin).resolve()) if spec.origin else None


def _inside_environment(path: str) -> bool:
    prefixes = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    return any(path == p or path.startswith(p + os.sep) for p in prefixes)


def _drain(stream: IO[bytes] | None, tail: collections.deque[bytes]) -> None:
    """Read a worker's stderr to its end, keeping only the last few KiB."""
    if stream is None:
        return
    kept = 0
    with stream, contextlib.suppress(OSError, ValueError):
        for chunk in iter(lambda: stream.read1(4096), b""):  # type: ignore[attr-defined]
            tail.append(chunk)
            kept += len(chunk)
            while kept > STDERR_TAIL and len(tail) > 1:
                kept -= len(tail.popleft())


@atexit.register
def _close_live_workers() -> None:
    for worker in list(_live_workers):
        with contextlib.suppress(Exception):
            worker.close()
