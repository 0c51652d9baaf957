"""``agentkit refute``: counterexample search from the command line."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import click

from agentkit.cli.output import echo, json_option, one_line, print_json
from agentkit.config import load_settings
from agentkit_refute.api import DEFAULT_BUDGET, DEFAULT_TIMEOUT, refute
from agentkit_refute.compare import MODES
from agentkit_refute.search import RefuteResult
from agentkit_refute.targets import RefuteError, Target

EPILOG = """\b
Exit status:
  0  not found: inputs were tested and none failed (this is not a proof)
  1  found: a counterexample (or a witness) that failed again on fresh workers
  2  untested (too little could be tested to say anything: every input invalid,
     outputs that cannot be compared, a worker stuck; one line says why),
     or a bad request
\b
Examples:
  agentkit refute buggy.py --reference good.py --entry median
  agentkit refute sort.py --entry my_sort --property props.py:is_sorted_permutation
  agentkit refute --witness puzzle.py:solves --budget 30
  agentkit refute cand.py --stdin --reference ref.py --generator gen.py --validator val.py
"""


EXIT_STATUS = {"not_found": 0, "found": 1, "untested": 2}


@click.command(name="refute", epilog=EPILOG)
@click.argument("candidate", required=False, type=click.Path(dir_okay=False))
@click.option("--reference", help="The correct implementation: REF.py or REF.py:NAME.")
@click.option("--property", "prop", help="A property prop(input, output) -> bool: FILE.py:NAME.")
@click.option("--witness", help="Find x with f(x) true, no candidate: FILE.py:NAME.")
@click.option("--entry", help="The candidate's function (default: its only function).")
@click.option(
    "--stdin", "programs", is_flag=True, help="Candidate and reference are stdin/stdout programs."
)
@click.option(
    "--generator",
    help="Input generator generate(rng, size): GEN.py[:NAME]. It returns the stdin text "
    "for --stdin, else the argument (or a tuple of them).",
)
@click.option(
    "--validator",
    help="Which inputs are valid: validate(text) for --stdin, else validate(*args): VAL.py[:NAME].",
)
@click.option(
    "--seeds",
    type=click.Path(exists=True, dir_okay=False),
    help="A JSON list of inputs to try first.",
)
@click.option(
    "--checker", help="A custom check checker(input, expected, actual) -> bool: FILE.py:NAME."
)
@click.option(
    "--compare",
    type=click.Choice(MODES),
    default="exact",
    show_default=True,
    help="How outputs are compared.",
)
@click.option(
    "--tolerance", type=float, default=1e-9, show_default=True, help="For --compare float."
)
@click.option(
    "--budget",
    type=float,
    default=DEFAULT_BUDGET,
    show_default=True,
    help="Seconds for the whole call: search, shrinking and the final re-run.",
)
@click.option(
    "--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True, help="Seconds per input."
)
@click.option(
    "-m",
    "--model",
    "model_name",
    help="Also have this model write input generators (default: the configured model).",
)
@click.option("--no-model", is_flag=True, help="Search without a model even if one is set up.")
@json_option
def refute_command(candidate: str | None, entry: str | None, **options: Any) -> None:
    """Search for an input on which CANDIDATE.py is wrong, and shrink it.

    All the code runs in the sandbox. The oracle is a reference implementation, a
    property, or (with --witness, and no candidate) the predicate itself.
    """
    as_json = options.pop("as_json")
    model_name, no_model = options.pop("model_name"), options.pop("no_model")
    try:
        model = None if no_model else model_name or load_settings().model or None
        result = refute(**_request(candidate, entry, **options), model=model)
    except RefuteError as exc:
        raise click.UsageError(str(exc)) from None
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        _print_human(result)
    if result.status == "untested":
        echo(f"Error: untested: {one_line(result.reason)}", err=True)
    raise SystemExit(EXIT_STATUS[result.status])


def _request(candidate: str | None, entry: str | None, **options: Any) -> dict[str, Any]:
    programs = options.pop("programs")
    if programs:
        subject = Target.program(_need(candidate, "the candidate program"))
        reference = Target.program(_need(options.pop("reference"), "--reference"))
    elif options["witness"]:
        if candidate:
            raise RefuteError("--witness takes no candidate")
        subject, reference = None, None
    else:
        path = _need(candidate, "the candidate file")
        name = entry or _only_function(path)
        subject = Target.function(path, name)
        spec = options.pop("reference")
        reference = _function_spec(spec, name) if spec else None
    options.pop("reference", None)
    return {
        "candidate": subject,
        "reference": reference,
        "prop": _spec(options.pop("prop")),
        "witness": _spec(options.pop("witness")),
        "generator": _spec(options.pop("generator"), "generate"),
        "validator": _spec(options.pop("validator"), "validate"),
        "checker": _spec(options.pop("checker")),
        "seeds": _seeds(options.pop("seeds")),
        **options,
    }


def _need(value: str | None, what: str) -> str:
    if not value:
        raise RefuteError(f"give {what}")
    return value


def _spec(spec: str | None, default_entry: str | None = None) -> Target | None:
    return Target.from_spec(spec, default_entry) if spec else None


def _function_spec(spec: str, default_entry: str) -> Target:
    """REF.py:NAME, or REF.py holding the candidate's name (or exactly one function)."""
    if ":" in spec:
        return Target.from_spec(spec)
    names = _functions(spec)
    return Target.function(
        spec, default_entry if default_entry in names or len(names) != 1 else names[0]
    )


def _only_function(path: str) -> str:
    names = _functions(path)
    if len(names) != 1:
        listed = ", ".join(names) or "none"
        raise RefuteError(
            f"{path}: name the function to refute with --entry (top-level functions: {listed})"
        )
    return names[0]


def _functions(path: str) -> list[str]:
    """Top-level function names, read with ``ast``: the file is never imported here."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), filename=path)
    except FileNotFoundError:
        raise RefuteError(f"{path}: no such file") from None
    except (OSError, SyntaxError, UnicodeDecodeError) as exc:
        raise RefuteError(f"{path}: cannot read it ({exc})") from None
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    ]


def _seeds(path: str | None) -> list[Any]:
    if not path:
        return []
    try:
        seeds = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RefuteError(f"{path}: not a JSON file ({exc})") from None
    if not isinstance(seeds, list):
        raise RefuteError(f"{path}: must hold a JSON list of inputs")
    return seeds


def _print_human(result: RefuteResult) -> None:
    echo(result.summary)
    if result.found:
        if result.original_input != result.input:
            echo(f"  first found: {json.dumps(result.original_input, ensure_ascii=False)[:500]}")
        if result.error:
            echo(f"  detail: {result.error}")
    phases = ", ".join(
        f"{k} {v}"
        for k, v in result.searched.items()
        if isinstance(v, int)
        and k in ("seeds", "special", "small", "generated", "model", "random", "shrink")
    )
    echo(f"  {result.tries} inputs in {result.seconds:.2f} s ({phases})")
    for note in result.notes:
        echo(f"  note: {note}")
    for note in result.searched.get("model_notes", []):
        echo(f"  model: {note}")
