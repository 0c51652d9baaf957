"""``repair``: counterexample-guided program repair (as in ESBMC-AI, with search for a checker).

The loop:

1. the ``refute`` tool searches for an input on which the program is wrong (against a
   reference implementation or a property), and shrinks it to the smallest it can;
2. the model gets the task, its program and that input with the expected and actual
   output (or the crash, or the time-out), and writes the whole fixed program;
3. the fix is refuted again, and a new counterexample goes back to the model;
4. this repeats until a fix survives the search or the attempts run out.

The reference is an oracle and is never shown to the model (it would be copied); a
property is part of the specification and is shown.

Surviving a search is not a proof: inputs the search did not reach may still fail. So
the result never says ``verified``; it says ``survived``, and ``search`` says how hard
the last search looked (inputs tried, seconds, which phases).

Why not :func:`agentkit.verify.refine`: refine stops only at a *passed* verdict, and a
search that finds nothing is *undecided*; repair stops there. Every search is a durable
``ctx.call("refute", ...)``, so each one is in the run's trail with its full result.
"""

from __future__ import annotations

from typing import Any

import agentkit
from agentkit.models import Message
from agentkit.replies import last_code_block

SYSTEM = (
    "You repair programs. You get a task, a program meant to solve it and an input on "
    "which the program is wrong. Find the bug, fix it, and reply with the whole fixed "
    "program in one ```python code block."
)


@agentkit.workflow(name="repair")
def repair(
    ctx: agentkit.Context,
    task: str,
    program: str,
    entry: str = "",
    reference: str = "",
    prop: str = "",
    generator: str = "",
    budget: float = 5.0,
    max_attempts: int = 3,
    timeout: float = 2.0,
    compare: str = "exact",
    seeds: list[Any] | None = None,
) -> dict[str, Any]:
    """Repair ``program`` until a counterexample search finds nothing wrong with it.

    :param task: what the program must do, in words (the model reads it)
    :param program: the program to repair (Python source)
    :param entry: the function under test; empty for a whole stdin/stdout program
    :param reference: source of a correct implementation (same function name)
    :param prop: instead of a reference: source of ``prop(input, output) -> bool``
    :param generator: for a stdin/stdout program: ``generate(rng, size) -> str``
    :param budget: seconds of search for each refutation
    :param max_attempts: how many fixes the model may write
    :param timeout: seconds the program may take on one input
    :param compare: how outputs are compared: exact, float or unordered
    :param seeds: inputs to try first (a list; several arguments as a list each)
    :returns: ``answer`` (the final program), ``survived``, ``verified`` (always false),
        ``attempts`` (fixes written), ``counterexample`` (the last one, None if the
        answer survived), ``search`` (the last search's effort) and ``history``
        (every program tried, with its counterexample or error)
    """
    _check_inputs(program, entry, reference, prop, generator, max_attempts)
    search = {
        "entry": entry,
        "reference": reference,
        "prop": prop,
        "generator": generator,
        "budget": budget,
        "timeout": timeout,
        "compare": compare,
        "seeds": seeds or [],
        # The inputs' types come from the program as given, never from a model's fix.
        "signature": program if entry else "",
    }
    first = ctx.call("refute", candidate=program, **search)
    if not first.ok:
        raise ValueError(f"repair: the search could not run on the given program: {first.error}")
    history = [_tried(0, program, first.output)]
    messages: list[Message] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": _first_prompt(task, program, entry, prop, first.output)},
    ]
    attempts = 0
    while first.output["found"] and attempts < max_attempts:
        attempts += 1
        reply = ctx.ask(list(messages)).content or ""
        messages.append({"role": "assistant", "content": reply})
        fix = last_code_block(reply, ("python", "py"))
        if fix is None:
            history.append({"attempt": attempts, "program": None, "error": "no ```python block"})
            messages.append({"role": "user", "content": NO_CODE})
            continue
        outcome = ctx.call("refute", candidate=fix, **search)
        if outcome.ok and outcome.output["status"] == "untested":
            history.append(_tried(attempts, fix, outcome.output))
            feedback = f"The search could not test your fix: {outcome.output['reason']}"
        elif outcome.ok:
            history.append(_tried(attempts, fix, outcome.output))
            if not outcome.output["found"]:
                break  # it survived: nothing left to feed back
            feedback = "Your fix is still wrong. " + describe_counterexample(outcome.output)
        else:
            history.append({"attempt": attempts, "program": fix, "error": outcome.error})
            feedback = f"The search could not run your fix: {outcome.error}"
        messages.append({"role": "user", "content": f"{feedback}\n\n{AGAIN}"})
    result = _result(history, attempts)
    ctx.log(
        "repair finished",
        survived=result["survived"],
        attempts=attempts,
        tries=result["search"]["tries"],
    )
    return result


NO_CODE = "Your reply had no ```python code block. Reply with the whole fixed program in one."
AGAIN = "Fix it; reply with the whole program in one ```python code block."


def _check_inputs(
    program: str, entry: str, reference: str, prop: str, generator: str, max_attempts: int
) -> None:
    """One clear line for the mistakes a caller is likely to make."""
    if not program.strip():
        raise ValueError("repair: `program` is empty: give the program to repair")
    if bool(reference.strip()) == bool(prop.strip()):
        raise ValueError(
            "repair needs exactly one oracle: `reference` (a correct implementation) "
            "or `prop` (prop(input, output) -> bool)"
        )
    if not entry and not (generator.strip() and reference.strip()):
        raise ValueError(
            "repair: a stdin/stdout program (no `entry`) needs a program `reference` and "
            "a `generator` defining generate(rng, size) -> str"
        )
    if max_attempts < 1:
        raise ValueError(f"repair: max_attempts must be at least 1, not {max_attempts}")


def _first_prompt(task: str, program: str, entry: str, prop: str, refuted: dict[str, Any]) -> str:
    what = f"the function `{entry}`" if entry else "a program that reads stdin, writes stdout"
    parts = [f"Task:\n{task.strip()}", f"Program ({what}):\n```python\n{program.strip()}\n```"]
    if prop.strip():
        parts.append(
            "Its output must satisfy this property (`prop(input, output)` must be true):\n"
            f"```python\n{prop.strip()}\n```"
        )
    parts.append(describe_counterexample(refuted))
    keep = f" (keep the name `{entry}`)" if entry else ""
    parts.append(f"Fix it; reply with the whole fixed program{keep} in one ```python block.")
    return "\n\n".join(parts)


def describe_counterexample(refuted: dict[str, Any]) -> str:
    """A refute result as the model reads it: the input, and what went wrong on it.

    The summary line names the call exactly (``f([0, 1]): expected 1, got 0``); a
    crash or a time-out also says what the right output would have been.
    """
    lines = [
        f"A search of {refuted['tries']} inputs found one on which it is wrong "
        "(shrunk to the smallest it could find):",
        refuted["summary"],
    ]
    if isinstance(refuted.get("input"), str):  # a whole program's stdin
        lines.append(f"The stdin was:\n```\n{refuted['input']}\n```")
    if refuted.get("kind") != "wrong_output" and refuted.get("expected") is not None:
        lines.append(f"The expected output is {refuted['expected']}.")
    return "\n".join(lines)


def _tried(attempt: int, program: str, refuted: dict[str, Any]) -> dict[str, Any]:
    """One refuted program, for the history: its counterexample and the search's effort."""
    counterexample = None
    if refuted["found"]:
        fields = ("kind", "input", "original_input", "expected", "actual", "error")
        counterexample = {name: refuted.get(name) for name in fields}
    return {
        "attempt": attempt,
        "program": program,
        "found": refuted["found"],
        "status": refuted["status"],
        "counterexample": counterexample,
        "summary": refuted["summary"],
        "tries": refuted["tries"],
        "seconds": refuted["seconds"],
        "searched": refuted["searched"],
    }


def _result(history: list[dict[str, Any]], attempts: int) -> dict[str, Any]:
    """The answer is the last program that was searched (a fix the search could not run,
    or a reply without code, does not replace it)."""
    last = next(entry for entry in reversed(history) if "found" in entry)
    return {
        "answer": last["program"],
        "survived": last["status"] == "not_found",
        "verified": False,  # a search that finds nothing is not a proof
        "attempts": attempts,
        "counterexample": last["counterexample"],
        "search": {key: last[key] for key in ("tries", "seconds", "searched", "summary")},
        "history": history,
    }
