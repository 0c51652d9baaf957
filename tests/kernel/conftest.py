"""Fixtures for tests against real sandboxed kernels.

Coroutines run on agentkit's runtime loop, the loop the ``python`` tool itself uses.
Locally, a missing bubblewrap skips the isolation tests (with the reason); in CI the
skip becomes a failure (see tests/conftest.py), because CI must install it.
"""

from __future__ import annotations

import pytest
from kernel_helpers import FAST, needs_bwrap, run

from agentkit_kernel import KernelPool, KernelSettings, SandboxedKernel


@pytest.fixture
def artifacts(tmp_path):
    return tmp_path / "artifacts"


@pytest.fixture
def kernel(artifacts):
    """A started kernel with short timeouts, shut down after the test."""
    needs_bwrap()
    started = run(SandboxedKernel(FAST, artifacts_dir=artifacts).start())
    yield started
    run(started.shutdown())


@pytest.fixture
def pool(artifacts):
    """A kernel pool with one spare and room for three kernels."""
    needs_bwrap()
    settings = KernelSettings(
        timeout=5.0, interrupt_grace=2.0, pool_size=1, max_kernels=3, idle_seconds=900
    )
    kernels = KernelPool(settings, artifacts_dir=artifacts)
    yield kernels
    run(kernels.close())
