"""agentkit-prover: the ``check_proof`` tool and the ``agentkit prove`` command.

Proofs are checked by real checkers, never by a model: Coq files by ``coqc`` (then
coqchk and ``Print Assumptions``) in the sandbox, SMT-LIB claims by z3 in
agentkit-solver's sandboxed workers. Every check ends in a :class:`ProofResult` whose
status is ``proved``, ``refuted``, ``error``, ``incomplete`` or ``unknown``.

A backend per proof language lives in :mod:`agentkit_prover.backends`, one module each,
found by walking that package (see :mod:`agentkit_prover.backend`).
"""

from __future__ import annotations

from typing import Any

import agentkit
from agentkit_prover.backend import (
    DEFAULT_TIMEOUT,
    NamedTheoremBackend,
    ProofBackend,
    ProverError,
    all_backends,
    backend_for_language,
    backend_for_path,
    detect_backend,
)
from agentkit_prover.result import Gap, ProofError, ProofResult, Status
from agentkit_prover.tool import check_claim, check_proof, check_source

__all__ = [
    "DEFAULT_TIMEOUT",
    "Gap",
    "NamedTheoremBackend",
    "ProofBackend",
    "ProofError",
    "ProofResult",
    "ProverError",
    "Status",
    "all_backends",
    "backend_for_language",
    "backend_for_path",
    "check_claim",
    "check_proof",
    "check_source",
    "detect_backend",
]


@agentkit.hookimpl
def register_tools(register: Any) -> None:
    register(check_proof)


@agentkit.hookimpl
def register_commands(cli: Any) -> None:
    from agentkit_prover.cli import prove_command

    cli.add_command(prove_command)
