"""A pool of sandboxed kernels: warm spares, named sessions, bounded and reaped.

Starting a kernel costs about half a second, so the pool keeps ``pool_size`` started
kernels in reserve; a new session takes one at once and a background task starts its
replacement. Sessions keep their kernel (and so their variables) between calls. A call
with no session gets a spare for one cell and throws it away after. The number of live
kernels, spares included, never exceeds ``max_kernels``: the least recently used idle
session makes room, and sessions idle longer than ``idle_seconds`` are shut down.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import zmq.asyncio

from agentkit.config import home
from agentkit.sandbox import SandboxPolicy
from agentkit_kernel.kernel import SandboxedKernel
from agentkit_kernel.settings import Execution, KernelError, KernelSettings


class KernelPool:
    """Kernels for named sessions. All methods run on one event loop."""

    def __init__(
        self,
        settings: KernelSettings | None = None,
        *,
        policy: SandboxPolicy | None = None,
        artifacts_dir: Path | None = None,
    ) -> None:
        self.settings = settings or KernelSettings.from_config()
        self.policy = policy or SandboxPolicy.from_config(
            memory_mb=self.settings.memory_mb, processes=self.settings.processes
        )
        self.artifacts_dir = artifacts_dir or home() / "artifacts" / "kernel"
        self.context = zmq.asyncio.Context()
        self.sessions: dict[str, SandboxedKernel] = {}
        self.spares: list[SandboxedKernel] = []
        self._starting = 0
        self._warming = 0  # spares being started by the refill task
        self._changed = asyncio.Event()
        self._refill: asyncio.Task[None] | None = None
        self._reaper: asyncio.Task[None] | None = None
        self.closed = False

    @property
    def live(self) -> int:
        """Kernels alive or being started, spares included."""
        return len(self.sessions) + len(self.spares) + self._starting

    async def execute(
        self, code: str, session: str | None = None, timeout: float | None = None
    ) -> Execution:
        """Run ``code`` in the session's kernel (a throwaway one when ``session`` is None)."""
        if session is None:
            kernel = await self._take_spare()
            try:
                return await kernel.execute(code, timeout)
            finally:
                await kernel.shutdown()
        kernel = self.sessions.get(session) or await self._new_session(session)
        return await kernel.execute(code, timeout)

    async def close_session(self, session: str) -> bool:
        kernel = self.sessions.pop(session, None)
        if kernel is None:
            return False
        await kernel.shutdown()
        self._changed.set()
        return True

    async def start(self) -> KernelPool:
        """Begin keeping spares warm and reaping idle sessions."""
        if self._refill is None:
            self._refill = asyncio.ensure_future(self._keep_spares())
            self._reaper = asyncio.ensure_future(self._reap_idle())
        return self

    async def close(self) -> None:
        """Shut every kernel down."""
        self.closed = True
        for task in (self._refill, self._reaper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        kernels = [*self.sessions.values(), *self.spares]
        self.sessions.clear()
        self.spares.clear()
        await asyncio.gather(*(kernel.shutdown() for kernel in kernels))
        self.context.term()

    async def wait_warm(self, timeout: float = 60.0) -> None:
        """Wait until the reserve of spares is full (for benchmarks and tests)."""
        await self.start()
        deadline = time.monotonic() + timeout
        while len(self.spares) < min(self.settings.pool_size, self.settings.max_kernels):
            if time.monotonic() > deadline:
                raise KernelError(f"the pool did not warm up within {timeout:g}s")
            await asyncio.sleep(0.05)

    # -- internals ----------------------------------------------------------------------

    async def _new_session(self, name: str) -> SandboxedKernel:
        kernel = await self._take_spare()
        if name in self.sessions:  # another call made it while we waited
            await kernel.shutdown()
            return self.sessions[name]
        self.sessions[name] = kernel
        return kernel

    async def _take_spare(self) -> SandboxedKernel:
        if not self.spares and self._warming:
            # A spare is on its way: waiting for it beats evicting a session for room.
            deadline = time.monotonic() + self.settings.startup_timeout
            while not self.spares and self._warming and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        if self.spares:
            kernel = self.spares.pop(0)
        else:
            await self._make_room()
            kernel = await self._start_kernel()
        # Warming begins only now: on a cold start, spares would compete for the CPU.
        await self.start()
        self._changed.set()
        return kernel

    async def _make_room(self) -> None:
        """Free a slot for one more kernel: a spare first, then the stalest idle session."""
        while self.live >= self.settings.max_kernels:
            if self.spares:
                await self.spares.pop().shutdown()
                continue
            idle = [(k.last_used, n) for n, k in self.sessions.items() if not k.lock.locked()]
            if not idle:
                raise KernelError(
                    f"all {self.settings.max_kernels} kernels are busy; "
                    "wait, close a session, or raise [kernel] max_kernels"
                )
            await self.close_session(min(idle)[1])

    async def _start_kernel(self) -> SandboxedKernel:
        self._starting += 1
        try:
            kernel = SandboxedKernel(
                self.settings,
                policy=self.policy,
                artifacts_dir=self.artifacts_dir,
                context=self.context,
            )
            return await kernel.start()
        finally:
            self._starting -= 1

    async def _keep_spares(self) -> None:
        """Start spares one at a time (starting is CPU-heavy) until the reserve is full."""
        failures = 0
        while not self.closed:
            if len(self.spares) < self.settings.pool_size and self.live < self.settings.max_kernels:
                self._warming += 1
                try:
                    spare: SandboxedKernel | None = await self._start_kernel()
                except KernelError:
                    spare = None  # the next session start will report the reason
                finally:
                    self._warming -= 1
                if spare is None:
                    failures += 1
                    await asyncio.sleep(min(30.0, 2.0**failures))
                else:
                    self.spares.append(spare)
                    failures = 0
                continue
            self._changed.clear()
            await self._changed.wait()

    async def _reap_idle(self) -> None:
        while not self.closed:
            await asyncio.sleep(min(30.0, self.settings.idle_seconds / 2))
            cutoff = time.monotonic() - self.settings.idle_seconds
            for name, kernel in list(self.sessions.items()):
                if kernel.last_used < cutoff and not kernel.lock.locked():
                    await self.close_session(name)
