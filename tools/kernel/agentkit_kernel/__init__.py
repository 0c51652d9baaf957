"""agentkit-kernel: the ``python`` tool, a sandboxed IPython kernel per session.

The pool of kernels lives on agentkit's runtime event loop (every async tool runs
there), is created on the first call, and is shut down when the process exits.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import threading

import agentkit
from agentkit import ToolResult
from agentkit._runtime import runtime_loop
from agentkit_kernel.kernel import SandboxedKernel
from agentkit_kernel.pool import KernelPool
from agentkit_kernel.settings import Execution, KernelError, KernelSettings

__all__ = [
    "Execution",
    "KernelError",
    "KernelPool",
    "KernelSettings",
    "SandboxedKernel",
    "close_pool",
    "end_python_session",
    "get_pool",
    "python",
]

_pool: KernelPool | None = None
_pool_lock = threading.Lock()


async def get_pool() -> KernelPool:
    """The process-wide pool (on the runtime loop), started on first use."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.closed:
            _pool = KernelPool()
    return await _pool.start()


async def close_pool() -> None:
    """Shut down every kernel of the process-wide pool (a later call starts a new pool)."""
    if _pool is not None and not _pool.closed:
        await _pool.close()


async def end_python_session(session: str) -> bool:
    """Shut down the kernel kept under ``session``; False if there was none."""
    if _pool is None or _pool.closed:
        return False
    return await _pool.close_session(session)


@agentkit.tool(name="python", side_effects=True, end_session=end_python_session)
async def python(code: str, session: str | None = None, timeout: float | None = None) -> ToolResult:
    """Run Python code in a sandboxed IPython kernel and return what it printed and returned.

    Variables persist between calls that name the same session. The kernel has no
    network and sees only its own working directory. A cell that runs too long is
    interrupted (its session keeps its variables) or, if that fails, the kernel is
    restarted (the variables are lost; the result says so).

    :param code: the Python code to run (a whole cell; the last expression's value is returned)
    :param session: a name to keep state under between calls; omit for a fresh kernel
    :param timeout: seconds before the cell is interrupted (default 30)
    """
    try:
        pool = await get_pool()
        execution = await pool.execute(code, session=session, timeout=timeout)
    except KernelError as exc:
        return ToolResult.failure(f"KernelError: {exc}")
    return ToolResult(
        ok=execution.status == "ok",
        output=execution.output,
        error=execution.error,
        artifacts=execution.artifacts,
    )


@agentkit.hookimpl
def register_tools(register):  # type: ignore[no-untyped-def]
    register(python)


@atexit.register
def _shutdown_pool() -> None:
    if _pool is None or _pool.closed:
        return
    future = asyncio.run_coroutine_threadsafe(close_pool(), runtime_loop())
    # If this fails, the sandboxes still die with this process (--die-with-parent).
    with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
        future.result(timeout=15)
