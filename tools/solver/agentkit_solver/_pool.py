"""The process-wide pool of sandboxed workers that run sympy, z3 and math-verify.

One pool serves all three: each worker imports :mod:`agentkit_solver._inside` once
(about 3 s for sympy, z3 and math-verify together) and then answers calls in a few
milliseconds. The pool starts on first use and is closed when the process exits.
A call that runs past its time limit kills its worker; the next call starts a new one.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

from agentkit.errors import AgentkitError
from agentkit.worker import WorkerPool

__all__ = ["POOL_SIZE", "SolverError", "call", "close_pool", "get_pool"]

POOL_SIZE = 2
INSIDE_MODULE = "agentkit_solver._inside"

_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


class SolverError(AgentkitError):
    """A solver tool could not run the request: bad input, or its worker failed."""


def get_pool() -> WorkerPool:
    """The process-wide pool, created on first use."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.closed:
            _pool = WorkerPool(INSIDE_MODULE, size=POOL_SIZE, label="agentkit-solver")
        return _pool


def close_pool() -> None:
    """Stop every worker (a later call starts a new pool)."""
    with _pool_lock:
        pool = _pool
    if pool is not None and not pool.closed:
        pool.close()


def call(function: str, /, *, timeout: float, **kwargs: Any) -> Any:
    """``_inside.function(**kwargs)`` in a worker; the worker's errors propagate."""
    return get_pool().call(function, timeout=timeout, **kwargs)


atexit.register(close_pool)
