"""Helpers shared by the kernel tests.

A module of its own, with a unique name: tests/, tests/core and tests/kernel each
have a conftest.py, all named "conftest", so test modules cannot import from one.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from agentkit._runtime import runtime_loop
from agentkit_kernel import KernelSettings

T = TypeVar("T")

FAST = KernelSettings(timeout=5.0, interrupt_grace=2.0, startup_timeout=60.0)


def run(coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
    """Run a coroutine on agentkit's runtime loop (the ``python`` tool's) and wait for it."""
    return asyncio.run_coroutine_threadsafe(coro, runtime_loop()).result(timeout)


def needs_bwrap() -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
