"""Shared set-up for the prover tests: real coqc and coqchk, real z3 in the solver's workers.

Locally a missing Coq skips the Coq tests with the reason; in CI the skip fails (see
tests/conftest.py), because CI must install Debian's ``coq`` package.
"""

from __future__ import annotations

import shutil

import pytest

from agentkit_prover.backends.coq import BACKEND as COQ
from agentkit_prover.result import ProofResult
from agentkit_solver import close_pool


@pytest.fixture(scope="session", autouse=True)
def solver_pool():
    yield
    close_pool()


@pytest.fixture
def coq():
    """``coq(source, timeout=10)``: check a Coq source with the real coqc."""
    if shutil.which("coqc") is None or shutil.which("coqchk") is None:
        pytest.skip("Coq is not installed: apt-get install coq")

    def check(source: str, timeout: float = 20.0) -> ProofResult:
        return COQ.check(source, timeout=timeout)

    return check
