"""``agentkit prove FILE``: check one proof file, print the verdict."""

from __future__ import annotations

from pathlib import Path

import click

from agentkit.cli.output import echo, json_option, print_json
from agentkit_prover.backend import DEFAULT_TIMEOUT, ProverError, backend_for_path
from agentkit_prover.result import ProofResult
from agentkit_prover.tool import MAX_TIMEOUT, check_source


@click.command(name="prove")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--timeout",
    type=click.FloatRange(0, MAX_TIMEOUT, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds for the whole check.",
)
@click.option(
    "--theorem",
    metavar="NAME",
    help="A theorem FILE must state and prove (Coq); every stated one is checked anyway.",
)
@json_option
def prove_command(file: Path, timeout: float, theorem: str | None, as_json: bool) -> None:
    """Check the proof in FILE: .v with Coq (coqc), .smt2 with z3.

    An .smt2 file asserts the negation of its claim (the verification-condition
    convention): unsat means proved, sat means refuted, with the model as the
    counterexample. The status is proved, refuted, error, incomplete (Admitted,
    admit, axioms) or unknown (timeout, undecided, nothing to prove). A .v file is
    proved only when every theorem it states is, as stated, a constant of the compiled
    library that rests on no axiom.

    Exit status: 0 when proved, 1 otherwise, 2 for a missing file or an unknown suffix.
    """
    try:
        backend = backend_for_path(file)
    except ProverError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        source = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.BadParameter("is not UTF-8 text", param_hint=str(file)) from None
    try:
        result = check_source(source, language=backend.name, timeout=timeout, theorem=theorem)
    except ProverError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        print_json(result.to_dict())
    else:
        echo("\n".join(describe(result, str(file))))
    if not result.proved:
        raise click.exceptions.Exit(1)


def describe(result: ProofResult, name: str) -> list[str]:
    """The human summary: the status, then each error with ``file:line:col``, sentence, goal."""
    lines = [f"{name}: {result.status} ({result.backend}, {result.seconds:.2f} s)"]
    lines += [f"  {message}" for message in result.messages]
    for error in result.errors:
        where = f"{name}:{error.location()}" if error.line is not None else name
        lines.append(f"{where}: {_indented(error.message, 2).lstrip()}")
        if error.sentence:
            lines.append(f"  sentence: {_indented(error.sentence, 4).lstrip()}")
        if error.goal:
            lines += ["  goal:", _indented(error.goal, 4)]
    for gap in result.incomplete:
        where = f"{name}:{gap.line}" if gap.line is not None else name
        lines.append(f"{where}: incomplete: {gap.message}")
    return lines


def _indented(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line if line.strip() else "" for line in text.splitlines())
