"""agentkit's hooks: the ``refute`` tool, the ``counterexample`` verifier, ``agentkit refute``."""

from __future__ import annotations

from typing import Any

import click

import agentkit
from agentkit.verify import Verdict
from agentkit_refute.api import refute
from agentkit_refute.search import RefuteResult
from agentkit_refute.targets import RefuteError, Target


@agentkit.tool(name="refute")
def refute_tool(
    candidate: str = "",
    entry: str = "",
    reference: str = "",
    reference_entry: str = "",
    prop: str = "",
    prop_entry: str = "prop",
    witness: str = "",
    witness_entry: str = "f",
    generator: str = "",
    seeds: list[Any] | None = None,
    signature: str = "",
    compare: str = "exact",
    budget: float = 5.0,
    timeout: float = 2.0,
) -> dict[str, Any]:
    """Search for an input on which a Python function is wrong, shrink it, and report it.

    All code runs in a sandbox. Give the candidate's code and exactly one oracle: a
    reference implementation, a property ``prop(input, output) -> bool``, or (with no
    candidate) a predicate whose true case is searched for. Inputs come from the type
    hints (or from ``seeds``). Without ``entry`` the code is a whole stdin/stdout program,
    and ``generator`` must define ``generate(rng, size) -> str``. "Not found" is not a
    proof of correctness: the result says what was searched.

    :param candidate: the code under test
    :param entry: the candidate's function name (empty: a stdin/stdout program)
    :param reference: code of a correct implementation
    :param reference_entry: its function name (default: the candidate's)
    :param prop: code defining the property function
    :param prop_entry: the property's name
    :param witness: code defining a predicate to satisfy (no candidate)
    :param witness_entry: the predicate's name
    :param generator: code defining generate(rng, size) -> str, for programs
    :param seeds: example inputs to try first (a list; several arguments as a list each)
    :param signature: code of a stub with the candidate's type hints (``def f(xs: list[int])
        -> int: ...``): the inputs' types, where no reference gives them (the candidate's own
        hints are never used for that)
    :param compare: exact, float or unordered
    :param budget: seconds of search
    :param timeout: seconds per input
    """
    program = bool(candidate) and not entry
    result = refute(
        Target.from_source(candidate, entry or None) if candidate else None,
        reference=_code(reference, None if program else reference_entry or entry, "reference.py"),
        prop=_code(prop, prop_entry, "property.py"),
        witness=_code(witness, witness_entry, "witness.py"),
        generator=_code(generator, "generate", "generator.py"),
        signature=_code(signature, None if program else entry, "signature.py"),
        seeds=seeds or [],
        compare=compare,  # type: ignore[arg-type]
        budget=budget,
        timeout=timeout,
    )
    return result.model_dump(mode="json")


def _code(source: str, entry: str | None, name: str) -> Target | None:
    return Target.from_source(source, entry, name=name) if source else None


class CounterexampleVerifier:
    """Refutes a code answer against the reference or property that comes with the problem.

    Applies when the candidate is code (a string, or a dict with ``code``) and the problem
    is a dict with ``reference`` or ``property`` code (and ``entry``, the function name).
    A counterexample fails the answer and is fed back; finding none leaves the verdict
    undecided, because a search that found nothing has not proved anything. The inputs'
    types come from the reference, the property or the problem's ``signature`` (a stub
    ``def entry(x: T) -> R: ...``), never from the model-written candidate.
    """

    name = "counterexample"

    def applies_to(self, candidate: Any, problem: Any) -> bool:
        return (
            _code_of(candidate) is not None
            and isinstance(problem, dict)
            and bool(problem.get("reference") or problem.get("property"))
        )

    def verify(self, candidate: Any, problem: Any, ctx: Any = None) -> Verdict:
        entry = problem.get("entry") or None
        try:
            result = refute(
                Target.from_source(_code_of(candidate) or "", entry),
                reference=_code(problem.get("reference", ""), entry, "reference.py"),
                prop=_code(
                    problem.get("property", ""),
                    problem.get("property_entry", "prop"),
                    "property.py",
                ),
                generator=_code(problem.get("generator", ""), "generate", "generator.py"),
                signature=_code(problem.get("signature", ""), entry, "signature.py"),
                budget=float(problem.get("budget", 5.0)),
            )
        except RefuteError as exc:
            return Verdict(
                status="undecided", feedback=f"counterexample search could not run: {exc}"
            )
        return _verdict(result)


def _verdict(result: RefuteResult) -> Verdict:
    evidence = {
        "status": result.status,
        "tries": result.tries,
        "seconds": result.seconds,
        "searched": result.searched,
        "notes": result.notes,
    }
    if result.status == "untested":
        feedback = f"counterexample search could not test the code: {result.reason}"
        return Verdict(status="undecided", feedback=feedback, evidence=evidence)
    if not result.found:
        return Verdict(status="undecided", feedback=result.summary, evidence=evidence)
    counterexample = {
        "input": result.input,
        "kind": result.kind,
        "expected": result.expected,
        "actual": result.actual,
        "error": result.error,
    }
    return Verdict(
        status="failed", feedback=result.summary, counterexample=counterexample, evidence=evidence
    )


def _code_of(candidate: Any) -> str | None:
    if isinstance(candidate, dict):
        candidate = candidate.get("code")
    return candidate if isinstance(candidate, str) and candidate.strip() else None


@agentkit.hookimpl
def register_tools(register):  # type: ignore[no-untyped-def]
    register(refute_tool)


@agentkit.hookimpl
def register_verifiers(register):  # type: ignore[no-untyped-def]
    register(CounterexampleVerifier())


@agentkit.hookimpl
def register_commands(cli: click.Group) -> None:
    from agentkit_refute.cli import refute_command

    cli.add_command(refute_command)
