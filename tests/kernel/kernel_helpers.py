"""Helpers shared by the kernel tests.

A module of its own, with a unique name: tests/, tests/core and tests/kernel each
have a conftest.py, all named "conftest", so test modules cannot import from one.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from agentkit._runtime import runtime_loop
from agentkit_kernel import Execution, KernelSettings, SandboxedKernel

T = TypeVar("T")

FAST = KernelSettings(timeout=5.0, interrupt_grace=2.0, startup_timeout=60.0)


def run(coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
    """Run a coroutine on agentkit's runtime loop (the ``python`` tool's) and wait for it."""
    return asyncio.run_coroutine_threadsafe(coro, runtime_loop()).result(timeout)


def needs_bwrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")


def execute(kernel: SandboxedKernel, code: str, timeout: float | None = None) -> Execution:
    """Run one cell; the wait is bounded by the whole timeout ladder plus a restart."""
    cell_timeout = timeout or kernel.settings.timeout
    return run(kernel.execute(code, cell_timeout), cell_timeout + 60)


def timed(
    kernel: SandboxedKernel, code: str, timeout: float | None = None
) -> tuple[Execution, float]:
    started = time.monotonic()
    result = execute(kernel, code, timeout)
    return result, time.monotonic() - started


def watch_exit(kernel: SandboxedKernel) -> dict[str, float]:
    """Note when the loop learns that the current kernel process has exited."""
    seen: dict[str, float] = {}

    async def watch() -> None:
        assert kernel.exited is not None
        kernel.exited.add_done_callback(lambda _: seen.setdefault("at", time.monotonic()))

    run(watch())
    return seen


def reset_peak_memory() -> int:
    """Reset this process's peak RSS (``VmHWM``); return the current RSS in MiB."""
    Path("/proc/self/clear_refs").write_text("5")
    return memory_status()["VmRSS"]


def memory_status() -> dict[str, int]:
    """``VmRSS`` and ``VmHWM`` of this process (client and test together), in MiB."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(value.split()[0]) // 1024
    return values


def assert_alive_with_state(kernel: SandboxedKernel, expected_x: str) -> None:
    result = execute(kernel, "x")
    assert result.status == "ok", result.error
    assert result.output["result"] == expected_x


@contextlib.contextmanager
def kernel_starter(artifacts: Path) -> Iterator[Callable[..., SandboxedKernel]]:
    """A function that starts kernels with FAST settings changed; all are shut down after."""
    needs_bwrap()
    started: list[SandboxedKernel] = []

    def start(**changes: Any) -> SandboxedKernel:
        kernel = SandboxedKernel(replace(FAST, **changes), artifacts_dir=artifacts)
        started.append(kernel)
        return run(kernel.start())

    try:
        yield start
    finally:
        for kernel in started:
            run(kernel.shutdown())
