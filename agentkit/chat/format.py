"""Text for the screen, shared by the rich and the plain renderer: one-line summaries of
arguments, results, steps and verdicts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from agentkit.tools import ToolResult
from agentkit.verify import Verdict

PROMPT_MARK = "\u276f"  # the heavy angle quote that starts each user line
FOLD_LINES = 8  # of a tool's result shown before "... N more lines"

VERDICT_MARKS = {"passed": "✓", "failed": "✗", "undecided": "?"}


def one_line(value: Any, limit: int = 80) -> str:
    """``value`` as one line of at most ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def code_of(arguments: Mapping[str, Any]) -> str | None:
    """The ``code`` argument, which is shown as code rather than as a value."""
    code = arguments.get("code")
    return code if isinstance(code, str) else None


def arguments_line(arguments: Mapping[str, Any], *, skip: tuple[str, ...] = ("code",)) -> str:
    """``name=value`` pairs, values as compact JSON."""
    return " ".join(
        f"{name}={json.dumps(value, ensure_ascii=False, default=str)}"
        for name, value in arguments.items()
        if name not in skip
    )


def call_summary(name: str, arguments: Mapping[str, Any], limit: int = 70) -> str:
    """``python: x = f(1) … x + 1`` or ``sympy: op="solve" expr=...``, on one line."""
    code = code_of(arguments)
    shown = code_summary(code) if code is not None else arguments_line(arguments)
    return f"{name}: {one_line(shown, limit)}" if shown else name


def code_summary(code: str) -> str:
    """The first line that does something and the last (which gives a cell's value);
    imports say little about what a cell is for."""
    lines = [line.strip() for line in code.strip().splitlines() if line.strip()]
    doing = [line for line in lines if not line.startswith(("import ", "from "))] or lines
    if not doing:
        return ""
    if len(doing) == 1:
        return doing[0]
    return f"{doing[0]} … {doing[-1]}"


def result_lines(result: ToolResult) -> list[str]:
    """What a tool call gave, as lines of text: the error first when it failed.

    The kernel's output (``stdout``, ``stderr``, ``result``, ...) reads like a notebook
    cell's; anything else is shown as indented JSON.
    """
    output = result.output
    lines: list[str] = []
    if isinstance(output, Mapping) and "stdout" in output:
        lines = _cell_lines(output)
    elif isinstance(output, str):
        lines = output.splitlines()
    elif output is not None:
        lines = json.dumps(output, indent=2, ensure_ascii=False, default=str).splitlines()
    if not result.ok:
        lines.append(result.error or "failed")
    return lines


def _cell_lines(output: Mapping[str, Any]) -> list[str]:
    lines = str(output.get("stdout") or "").splitlines()
    lines += str(output.get("stderr") or "").splitlines()
    if output.get("result") is not None:
        lines += f"Out: {output['result']}".splitlines()
    display = output.get("display") or []
    if display:
        lines.append(f"[{len(display)} rich output(s): {', '.join(_kinds(display))}]")
    lines += [f"note: {note}" for note in output.get("notes") or []]
    if output.get("restarted"):
        lines.append("(the kernel was restarted: its variables are gone)")
    return lines


def _kinds(display: list[Any]) -> list[str]:
    kinds = []
    for item in display:
        data = item.get("data", item) if isinstance(item, Mapping) else {}
        kinds.append(next(iter(data), "output") if isinstance(data, Mapping) else "output")
    return kinds


def fold(lines: list[str], keep: int = FOLD_LINES) -> tuple[list[str], int]:
    """The first ``keep`` lines (all, if only one more would be hidden), and how many remain."""
    if len(lines) <= keep + 1:
        return lines, 0
    return lines[:keep], len(lines) - keep


def cancelled(result: ToolResult) -> bool:
    return not result.ok and (result.error or "").startswith(("CancelledError", "TurnCancelled"))


def verdict_text(verdict: Verdict) -> str:
    """``name: feedback`` for one verdict (its mark is :data:`VERDICT_MARKS`)."""
    name = verdict.verifier or "verifier"
    return f"{name}: {verdict.feedback}" if verdict.feedback else f"{name}: {verdict.status}"


def counterexample_text(verdict: Verdict) -> str | None:
    if verdict.counterexample is None:
        return None
    return "counterexample: " + one_line(verdict.counterexample, 200)


def step_result(outcome: Mapping[str, Any]) -> str:
    """What a finished step gave (or why it did not), on one line."""
    if outcome.get("status") == "done":
        output = (outcome.get("result") or {}).get("output")
        if isinstance(output, Mapping) and "stdout" in output:
            shown = output.get("result") if output.get("result") is not None else output["stdout"]
            return one_line(shown or "", 60)
        return one_line(output, 60)
    return one_line(outcome.get("reason") or outcome.get("status") or "", 80)


def parameter_rows(schema: Mapping[str, Any]) -> list[list[str]]:
    """Each argument of a JSON Schema as ``[name, type, default, description]``; a
    required one has ``required`` as its default."""
    required = set(schema.get("required") or [])
    rows = []
    for name, spec in (schema.get("properties") or {}).items():
        default = "required" if name in required else json.dumps(spec.get("default"))
        description = " ".join(str(spec.get("description") or "").split())
        rows.append([name, _type_of(spec), default, description])
    return rows


def _type_of(spec: Mapping[str, Any]) -> str:
    if "enum" in spec:
        return " | ".join(json.dumps(value) for value in spec["enum"])
    if "anyOf" in spec:
        kinds = [_type_of(option) for option in spec["anyOf"]]
        return " | ".join(kind for kind in kinds if kind != "null") or "null"
    kind = spec.get("type", "any")
    if kind == "array" and isinstance(spec.get("items"), Mapping):
        return f"list[{_type_of(spec['items'])}]"
    return " | ".join(kind) if isinstance(kind, list) else str(kind)


def tokens(usage: Mapping[str, int] | Any) -> str:
    """``1,234 tokens``."""
    if not isinstance(usage, Mapping):
        usage = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}
    total = int(usage.get("prompt_tokens", 0)) + int(usage.get("completion_tokens", 0))
    return f"{total:,} tokens"
