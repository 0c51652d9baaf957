"""One sandboxed IPython kernel, driven with jupyter_client's async client over IPC.

Lifecycle. The kernel process is started by agentkit itself (not by a
KernelManager), inside :class:`agentkit.sandbox.Sandbox`, so that it gets the rlimits,
the namespaces and the private uid. Its ZMQ sockets are Unix-domain (IPC) files in the
sandbox's own directory: no TCP port exists for another process to reach. A task
waits on the process, so a death (crash, ``os._exit``, OOM kill, SIGKILL) is seen at
once, not at the next heartbeat. The process runs ``launcher.py``: ipykernel, with
lone surrogates made sendable and threads' output kept to the cell that started them.
A message over ``message_bytes`` is dropped by ZMQ with its connection; the next cell
gets fresh channels to the same kernel. IOPub is read for as long as the connection is
open, between cells too, and every frame is bounded in size and depth before it is
decoded (see :mod:`agentkit_kernel.channels`). Each start gets fresh IPC and IPython
directories from the host (see :mod:`agentkit_kernel.fresh`). The host connects to the
kernel's socket files only once they exist, through descriptors of the files themselves
(:func:`agentkit_kernel.fresh.pin_socket`), never through their paths: a cell can
replace those files with links, and ZMQ reconnects on its own when its peer dies.

The timeout ladder, for a cell that runs too long (or floods its output):

1. send ``interrupt_request`` on the control channel (ipykernel raises
   KeyboardInterrupt in the cell); the kernel keeps its state;
2. if the cell has not ended ``interrupt_grace`` seconds later (SIGINT ignored, or
   stuck inside C code), kill the sandbox and start a fresh kernel: state is lost;
3. the result says which of the two happened.

A kernel that dies while starting is retried; after ``restart_limit`` failed starts in
a row it gives up with the tail of its log. All requests on one kernel are serialised
by a lock; different kernels run in parallel.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
import time
from pathlib import Path
from typing import Any

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.connect import write_connection_file

from agentkit.sandbox import Sandbox, SandboxPolicy
from agentkit_kernel.channels import IOPubPump, MessageRejected, bounded_unpacker
from agentkit_kernel.fresh import (
    fresh_dir,
    fresh_ipython_dir,
    is_socket,
    open_log,
    pin_socket,
    remove,
)
from agentkit_kernel.output import CellOutput
from agentkit_kernel.results import describe_exit, failed, finished, new_cell
from agentkit_kernel.settings import Execution, KernelError, KernelSettings

READY_POLL = 0.5
SOCKET_POLL = 0.05
CHANNELS = ("shell", "iopub", "stdin", "control")  # the client's; no heartbeat


class PinnedKernelClient(AsyncKernelClient):
    """A client whose channels connect to descriptors of socket files, not to paths."""

    pinned: dict[str, int]

    def _make_url(self, channel: str) -> str:
        if channel not in self.pinned:
            # The heartbeat: never started, but stop_channels() makes its (unconnected)
            # channel object. Nothing at this address can be a socket.
            return "ipc:///dev/null"
        return f"ipc:///proc/self/fd/{self.pinned[channel]}"


class SandboxedKernel:
    """A kernel in its own sandbox. Use :meth:`start`, :meth:`execute`, :meth:`shutdown`."""

    def __init__(
        self,
        settings: KernelSettings,
        *,
        policy: SandboxPolicy | None = None,
        artifacts_dir: Path,
        context: zmq.asyncio.Context | None = None,
    ) -> None:
        self.settings = settings
        self.policy = policy or SandboxPolicy.from_config(
            memory_mb=settings.memory_mb, processes=settings.processes
        )
        self.artifacts_dir = artifacts_dir
        self.context = context or zmq.asyncio.Context.instance()
        self.sandbox: Sandbox | None = None
        self.client: AsyncKernelClient | None = None
        self.pump: IOPubPump | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.exited: asyncio.Future[int] | None = None
        self.lock = asyncio.Lock()
        self.restarts = 0
        self._info: dict[str, Any] = {}
        self._pinned: dict[str, int] = {}
        self._channels_broken = False
        self.last_used = time.monotonic()
        self.artifacts_saved = 0  # by this session, all its restarts included
        self.artifact_bytes_saved = 0

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> SandboxedKernel:
        """Create the sandbox and start the kernel, retrying failed starts up to the limit."""
        self.sandbox = Sandbox(self.policy, label="kernel")
        try:
            self.sandbox.require_reachable(sys.prefix, "the Python environment")
            await self._start_with_retries()
        except BaseException:
            await self.shutdown()
            raise
        return self

    async def _start_with_retries(self) -> None:
        failures: list[str] = []
        while len(failures) < self.settings.restart_limit:
            try:
                await self._launch()
                return
            except KernelError as exc:
                failures.append(str(exc))
                self._kill()
        raise KernelError(
            f"the kernel failed to start {len(failures)} times in a row; last: {failures[-1]}"
        )

    async def _launch(self) -> None:
        assert self.sandbox is not None
        info = self._info = self._write_connection_file()
        self._channels_broken = False
        ipython_dir = fresh_ipython_dir(self.sandbox.root / "ipython")
        with open(open_log(self.sandbox.root / "kernel.log"), "ab") as log:
            argv = self.sandbox.command(
                self.settings.kernel_argv(self._connection_file, ipython_dir)
            )
            self.process = await asyncio.create_subprocess_exec(
                *argv, stdout=log, stderr=log, **self.sandbox.popen_kwargs()
            )
        self.exited = asyncio.ensure_future(self.process.wait())
        deadline = time.monotonic() + self.settings.startup_timeout
        await self._wait_for_sockets(deadline)
        self.client = self._make_client(info)
        try:
            await self._wait_ready(deadline)
        except KernelError:
            self._close_client()
            raise

    @property
    def _connection_file(self) -> Path:
        assert self.sandbox is not None
        return self.sandbox.root / "connection.json"

    def _write_connection_file(self) -> dict[str, Any]:
        assert self.sandbox is not None
        # Sockets of a previous incarnation, or whatever its cell put in their place.
        ipc = fresh_dir(self.sandbox.root / "ipc", 0o700)
        if self.sandbox.uid != os.getuid():
            os.chown(ipc, self.sandbox.uid, self.sandbox.gid)  # the kernel binds there
        path = self._connection_file
        remove(path)
        _, info = write_connection_file(
            str(path), ip=str(ipc / "k"), transport="ipc", key=secrets.token_hex(32).encode()
        )
        if self.sandbox.uid != os.getuid():  # readable by the kernel's uid, nobody else
            os.chown(path, self.sandbox.uid, self.sandbox.gid)
        return dict(info)

    def _socket_path(self, channel: str) -> Path:
        return Path(f"{self._info['ip']}-{self._info[f'{channel}_port']}")

    async def _wait_for_sockets(self, deadline: float) -> None:
        """Wait until the kernel has bound every socket the client connects to."""
        assert self.exited is not None
        while not all(is_socket(self._socket_path(channel)) for channel in CHANNELS):
            if self.exited.done():
                raise KernelError(
                    f"the kernel exited while starting ({self._death(with_log=True)})"
                )
            if time.monotonic() >= deadline:
                raise KernelError(
                    f"the kernel did not start within {self.settings.startup_timeout:g}s"
                )
            await asyncio.sleep(SOCKET_POLL)

    def _pin_sockets(self) -> None:
        assert self.sandbox is not None
        try:
            for channel in CHANNELS:
                self._pinned[channel] = pin_socket(self._socket_path(channel), self.sandbox.uid)
        except OSError as exc:
            self._unpin_sockets()
            raise KernelError(f"the kernel's socket files were tampered with ({exc})") from None

    def _unpin_sockets(self) -> None:
        for fd in self._pinned.values():
            os.close(fd)
        self._pinned.clear()

    def _make_client(self, info: dict[str, Any]) -> AsyncKernelClient:
        # A message over the limit makes ZMQ drop it (and reconnect), so one hostile
        # print cannot make the client hold gigabytes.
        self.context.setsockopt(zmq.MAXMSGSIZE, self.settings.message_bytes)
        self._pin_sockets()
        client = PinnedKernelClient(context=self.context)
        client.pinned = self._pinned
        client.load_connection_info(info)
        # Checked before decoding: a message nested 200,000 deep was a RecursionError.
        client.session.unpack = bounded_unpacker(
            client.session.unpack, self.settings.message_bytes, self.settings.message_depth
        )
        client.start_channels(hb=False)
        self.pump = IOPubPump(client)
        return client

    async def _wait_ready(self, deadline: float) -> None:
        """Ready when a kernel_info request gets its reply and IOPub carries its status.

        The IOPub check matters: PUB/SUB drops whatever is published before the
        subscription is in place, so the first cell's output could otherwise be lost.
        """
        assert self.client is not None and self.exited is not None
        while time.monotonic() < deadline:
            msg_id = self.client.kernel_info()
            waiter = asyncio.ensure_future(self._ready_signals(msg_id))
            done, _ = await asyncio.wait(
                {waiter, self.exited}, timeout=READY_POLL, return_when=asyncio.FIRST_COMPLETED
            )
            if waiter in done:
                return
            waiter.cancel()
            if self.exited in done:
                raise KernelError(
                    f"the kernel exited while starting ({self._death(with_log=True)})"
                )
        raise KernelError(f"the kernel did not start within {self.settings.startup_timeout:g}s")

    async def _ready_signals(self, msg_id: str) -> None:
        assert self.pump is not None
        seen = asyncio.get_running_loop().create_future()
        self.pump.route(msg_id, lambda *_: seen.done() or seen.set_result(None))
        try:
            await self._reply_to(msg_id)
            await seen
        finally:
            self.pump.unroute(msg_id)

    async def _reconnect(self) -> None:
        """Fresh channels to the same kernel, which keeps its state.

        ZMQ closes a connection that delivers a message over ``MAXMSGSIZE`` and, since
        that is a protocol error, never reconnects it: without new channels every later
        cell of the session lost all its output and waited out the idle status.
        """
        self._channels_broken = False
        self._close_client()
        self.client = self._make_client(self._info)
        await self._wait_ready(time.monotonic() + self.settings.startup_timeout)

    async def restart(self) -> None:
        """Kill the kernel and everything it started, then start a fresh one."""
        self._kill()
        self.restarts += 1
        await self._start_with_retries()

    async def shutdown(self) -> None:
        """Stop the kernel and remove its sandbox; safe to call more than once."""
        self._kill()
        if self.sandbox is not None:
            self.sandbox.close()
            self.sandbox = None

    def _kill(self) -> None:
        self._close_client()
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.sandbox is not None:
            self.sandbox.kill_all()
        self.process = None

    def _close_client(self) -> None:
        if self.pump is not None:
            self.pump.stop()
            self.pump = None
        if self.client is not None:
            self.client.stop_channels()  # closed with linger 0: no connection outlives it
            self.client = None
        self._unpin_sockets()

    @property
    def alive(self) -> bool:
        return self.exited is not None and not self.exited.done() and self.client is not None

    def _death(self, *, with_log: bool = False) -> str:
        assert self.exited is not None and self.sandbox is not None
        return describe_exit(
            self.exited.result(),
            isolated=self.sandbox.isolated,
            memory_mb=self.policy.limits.memory_mb,
            log=self.sandbox.root / "kernel.log" if with_log else None,
        )

    # -- execution -----------------------------------------------------------------------

    async def execute(self, code: str, timeout: float | None = None) -> Execution:
        """Run one cell under the timeout ladder. Concurrent calls run one after another."""
        async with self.lock:
            self.last_used = time.monotonic()
            try:
                return await self._execute(code, timeout or self.settings.timeout)
            finally:
                self.last_used = time.monotonic()

    async def _execute(self, code: str, timeout: float) -> Execution:
        restarted = False
        if self._channels_broken and self.alive:
            with contextlib.suppress(KernelError):  # a dead kernel is restarted below
                await self._reconnect()
        if not self.alive:
            await self.restart()
            restarted = True
        assert self.client is not None and self.exited is not None
        cell = self._new_cell()
        msg_id = self.client.execute(code, store_history=True, allow_stdin=False)
        run = asyncio.ensure_future(self._collect(msg_id, cell))
        try:
            outcome = await self._race(run, cell, timeout)
            if outcome == "done":
                reply = run.result()
                return finished(cell, reply, restarted=restarted)
            if outcome == "died":
                death = self._death()
                await self.restart()
                return failed(
                    cell,
                    "died",
                    f"KernelDied: the kernel died ({death}); it was restarted and its state lost",
                )
            return await self._interrupt_or_restart(run, cell, timeout, outcome)
        except asyncio.CancelledError:
            # The caller gave up (Ctrl-C): stop the cell, keep the kernel usable.
            self._send_interrupt()
            run.cancel()
            raise
        finally:
            if not run.done():
                run.cancel()
            self.artifacts_saved += len(cell.artifacts)
            self.artifact_bytes_saved += cell.artifact_bytes

    def _new_cell(self) -> CellOutput:
        return new_cell(
            self.settings,
            self.artifacts_dir,
            saved=self.artifacts_saved,
            saved_bytes=self.artifact_bytes_saved,
        )

    async def _race(self, run: asyncio.Future[Any], cell: CellOutput, timeout: float) -> str:
        """Wait for the cell, a death, a flood or the timeout; say which came first."""
        assert self.exited is not None
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout"
            done, _ = await asyncio.wait(
                {run, self.exited}, timeout=min(left, 0.25), return_when=asyncio.FIRST_COMPLETED
            )
            if run in done:
                return "done"
            if self.exited in done:
                return "died"
            if cell.flooding:
                return "flood"

    async def _interrupt_or_restart(
        self, run: asyncio.Future[Any], cell: CellOutput, timeout: float, why: str
    ) -> Execution:
        assert self.exited is not None
        reason = (
            f"the cell ran longer than {timeout:g}s"
            if why == "timeout"
            else "the cell flooded its output"
        )
        self._send_interrupt()
        done, _ = await asyncio.wait(
            {run, self.exited},
            timeout=self.settings.interrupt_grace,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if run in done:
            reply = run.result()
            if why == "flood" and reply.get("status") == "ok":
                # It ended on its own (one huge print) before the interrupt reached it:
                # its capped output is its result.
                return finished(cell, reply, restarted=False)
            cell.error = None  # the KeyboardInterrupt we caused is not the cell's error
            return failed(
                cell, "timeout", f"TimeoutError: {reason}; it was interrupted, state kept"
            )
        run.cancel()
        await self.restart()
        return failed(
            cell,
            "timeout",
            f"TimeoutError: {reason} and did not stop within "
            f"{self.settings.interrupt_grace:g}s of an interrupt; "
            "the kernel was restarted and its state lost",
        )

    def _send_interrupt(self) -> None:
        if self.client is not None:
            self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))

    async def _collect(self, msg_id: str, cell: CellOutput) -> dict[str, Any]:
        """Take the cell's IOPub messages until its idle status, and the shell reply.

        Only this cell's messages come here; the pump drops the rest (a previous
        cell's late output, a background thread's) once this cell is over too.
        """
        assert self.pump is not None
        idle = asyncio.get_running_loop().create_future()

        def take(msg: dict[str, Any] | None, rejected: str | None) -> None:
            if msg is None:
                cell.reject(rejected or "malformed")
            elif msg["msg_type"] != "status":
                cell.add(msg["msg_type"], msg["content"])
            elif msg["content"].get("execution_state") == "idle" and not idle.done():
                idle.set_result(None)

        pump = self.pump
        pump.route(msg_id, take)
        try:
            reply = await self._reply_to(msg_id, cell)
            try:
                await asyncio.wait_for(idle, timeout=2.0)
            except TimeoutError:
                # The idle status was lost (an oversized message makes ZMQ drop the link).
                cell.note("some output was lost: a message exceeded the size limit")
                self._channels_broken = True
            return reply
        finally:
            pump.unroute(msg_id)

    async def _reply_to(self, msg_id: str, cell: CellOutput | None = None) -> dict[str, Any]:
        assert self.client is not None
        while True:
            try:
                msg = await self.client.get_shell_msg()
            except (MessageRejected, ValueError, TypeError, KeyError) as exc:
                if cell is not None:  # over a bound, or forged: never decoded, dropped
                    cell.reject(str(exc))
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]
