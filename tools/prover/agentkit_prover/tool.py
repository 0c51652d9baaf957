"""The ``check_proof`` tool, and the Python API under it (check_source, check_claim)."""

from __future__ import annotations

from typing import cast

import agentkit
from agentkit import ToolResult
from agentkit_prover.backend import (
    DEFAULT_TIMEOUT,
    NamedTheoremBackend,
    ProverError,
    backend_for_language,
    detect_backend,
)
from agentkit_prover.backends.smt import SmtBackend
from agentkit_prover.result import ProofResult

MAX_TIMEOUT = 600.0


def check_source(
    source: str,
    *,
    language: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    theorem: str | None = None,
) -> ProofResult:
    """Check proof text with the backend for ``language`` (or the one that recognizes it).

    ``theorem``: a name the source must state and prove (Coq); without it, every
    theorem the source states must be proved, and at least one must be stated.
    """
    _check_timeout(timeout)
    backend = backend_for_language(language) if language else detect_backend(source)
    if theorem is None:
        return backend.check(source, timeout=timeout)
    if not isinstance(backend, NamedTheoremBackend):
        raise ProverError(f"{backend.name} proofs have no named theorems; leave 'theorem' out")
    return backend.check_theorem(source, theorem, timeout=timeout)


def check_claim(
    claim: str,
    *,
    assumptions: list[str] | None = None,
    variables: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ProofResult:
    """Prove a compact claim with z3: its negation, under the assumptions, must be unsat."""
    _check_timeout(timeout)
    smt = cast(SmtBackend, backend_for_language("smt"))
    return smt.check_claim(claim, assumptions=assumptions, variables=variables, timeout=timeout)


def _check_timeout(timeout: float) -> None:
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ProverError(f"timeout must be above 0 and at most {MAX_TIMEOUT:g} seconds")


@agentkit.tool(name="check_proof")
def check_proof(
    source: str | None = None,
    language: str | None = None,
    claim: str | None = None,
    assumptions: list[str] | None = None,
    variables: dict[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    theorem: str | None = None,
) -> ToolResult:
    """Check a proof with a real checker (Coq's coqc, or the z3 SMT solver) and say why not.

    Give either `source` (a Coq file, or an SMT-LIB script that asserts the NEGATION of
    the claim) or `claim` (checked with z3). The output's "status" is "proved",
    "refuted" (with a "counterexample"), "error" (see "errors": line, column, the failing
    "sentence" and the "goal" before it), "incomplete" (Admitted, admit or an axiom; see
    "incomplete") or "unknown" (timeout, undecided, nothing to prove). A Coq file is
    "proved" only when every theorem it states is, as stated, in the compiled result and
    rests on no axiom. The call succeeds whenever the checker gave a verdict: read "status".

    :param source: the whole proof file: Coq (.v) text, or SMT-LIB 2 text
    :param language: "coq" or "smt"; omit to detect it from the source
    :param claim: instead of source: a claim in Python syntax for z3, e.g. "x*x >= 0";
        proved when no values of the variables satisfy the assumptions and falsify it
    :param assumptions: with claim: facts taken as true, e.g. ["x > 0", "y > x"]
    :param variables: with claim: each variable's sort, e.g. {"x": "Int", "y": "Real"}
    :param timeout: seconds for the whole check (default 30)
    :param theorem: with a Coq source: the name of a theorem it must state and prove
    """
    try:
        result = _dispatch(source, language, claim, assumptions, variables, timeout, theorem)
    except ProverError as exc:
        return ToolResult.failure(str(exc))
    return ToolResult(ok=True, output=result.to_dict())


def _dispatch(
    source: str | None,
    language: str | None,
    claim: str | None,
    assumptions: list[str] | None,
    variables: dict[str, str] | None,
    timeout: float,
    theorem: str | None,
) -> ProofResult:
    if (source is None) == (claim is None):
        raise ProverError("check_proof: give exactly one of 'source' and 'claim'")
    if claim is not None and theorem is not None:
        raise ProverError("check_proof: 'theorem' names a theorem of a Coq 'source'")
    if claim is not None:
        if language is not None and backend_for_language(language).name != "smt":
            raise ProverError("check_proof: a 'claim' is checked with z3; leave language out")
        return check_claim(claim, assumptions=assumptions, variables=variables, timeout=timeout)
    if assumptions is not None or variables is not None:
        raise ProverError("check_proof: 'assumptions' and 'variables' go with 'claim'")
    return check_source(cast(str, source), language=language, timeout=timeout, theorem=theorem)
