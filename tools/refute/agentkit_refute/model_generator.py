"""The REFUTE setting: a model reads the code and writes an input generator aimed at the
candidate's likely bug.

The model's generator is code like any other: it runs in the sandbox, in the subject's
worker (never beside the oracle), and every input it makes is checked against the
input types (and the precondition or validator) before it is judged. A generator that
does not load, raises, or returns the wrong shape is reported back to the model once,
so it can fix it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from agentkit.calls import call_model
from agentkit.models.base import Model
from agentkit.replies import last_code_block
from agentkit_refute.targets import Target

MAX_SOURCE = 20_000  # characters of each source shown to the model

SYSTEM = (
    "You are an expert at finding bugs. You read a program and a specification, guess "
    "where the program is most likely wrong, and write a Python generator of test inputs "
    "aimed at that weakness. You reply with one ```python code block and nothing else."
)

FUNCTION_TASK = """\
The candidate below is suspected to be wrong on some inputs. {oracle_text}

Candidate ({entry}):
```python
{candidate}
```
{oracle_code}
The inputs are the arguments of {entry}(), of these types: {types}.
{searched}

Write `def generate(rng, size):` where `rng` is a `random.Random` and `size` is an int
from 1 to {max_size} (larger means larger inputs). It returns {shape}; a dataclass
argument is a dict of its fields. Aim the inputs at the bug you suspect; vary them with
`rng`. Use only the standard library."""

PROGRAM_TASK = """\
The candidate program below reads stdin and writes stdout; it is suspected to be wrong on
some inputs. A reference program gives the right output.

Candidate:
```python
{candidate}
```

Reference:
```python
{reference}
```
{example}
Write `def generate(rng, size):` where `rng` is a `random.Random` and `size` is an int
from 1 to {max_size}. It returns the whole stdin text of one test, in the same format as
the example. Aim the inputs at the bug you suspect; vary them with `rng`. Use only the
standard library."""

Proposer = Callable[[str | None], Target]


def proposer(
    model: Model,
    subject: Target,
    *,
    oracle_kind: str,
    oracle: Target | None,
    types: str,
    arity: int,
    max_size: int,
    example: str | None = None,
    searched: str = "",
) -> Proposer:
    """A function that asks ``model`` for a generator: called with ``None`` first, then
    with what went wrong with the previous one."""
    task = _task(subject, oracle_kind, oracle, types, arity, max_size, example, searched)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": task},
    ]

    def propose(feedback: str | None) -> Target:
        if feedback is not None:
            messages.append({"role": "user", "content": feedback})
        reply = call_model(model, messages)
        text = reply.content or ""
        messages.append({"role": "assistant", "content": text})
        return Target.from_source(code_of(text), "generate", name="model_generator.py")

    return propose


def code_of(text: str) -> str:
    """The last fenced Python block of a reply, or the whole reply when it has none."""
    block = last_code_block(text, ("python", "py"))
    return (block if block is not None else text).strip() + "\n"


def _task(
    subject: Target,
    oracle_kind: str,
    oracle: Target | None,
    types: str,
    arity: int,
    max_size: int,
    example: str | None,
    searched: str,
) -> str:
    if subject.kind == "program":
        assert oracle is not None
        shown = f"\nAn example of a valid stdin:\n```\n{example}\n```\n" if example else "\n"
        return PROGRAM_TASK.format(
            candidate=_clip(subject.source),
            reference=_clip(oracle.source),
            example=shown,
            max_size=max_size,
        )
    oracle_text = {
        "differential": "A reference implementation gives the right answers.",
        "property": "Every output must satisfy the property below.",
        "witness": "Find an input on which the predicate is True.",
    }[oracle_kind]
    oracle_code = (
        f"\n{'Reference' if oracle_kind == 'differential' else 'Property'} "
        f"({oracle.entry}):\n```python\n{_clip(oracle.source)}\n```\n"
        if oracle is not None
        else "\n"
    )
    shape = "one argument value" if arity == 1 else f"a tuple of the {arity} arguments, in order"
    return FUNCTION_TASK.format(
        oracle_text=oracle_text,
        entry=subject.entry,
        candidate=_clip(subject.source),
        oracle_code=oracle_code,
        types=types,
        searched=searched,
        max_size=max_size,
        shape=shape,
    )


def _clip(source: str) -> str:
    if len(source) <= MAX_SOURCE:
        return source
    return source[:MAX_SOURCE] + f"\n# ... ({len(source) - MAX_SOURCE} more characters)"


def describe_types(params: list[dict[str, Any]]) -> str:
    """The parameter types as Python-like text, for the prompt."""
    return ", ".join(_type_text(p) for p in params) or "(none)"


def _type_text(desc: dict[str, Any]) -> str:
    kind = desc.get("t")
    if kind in ("list", "set", "frozenset"):
        outer = "tuple" if desc.get("as") == "tuple" else kind
        inner = _type_text(desc["of"])
        return f"{outer}[{inner}, ...]" if outer == "tuple" else f"{outer}[{inner}]"
    if kind == "tuple":
        return "tuple[" + ", ".join(_type_text(d) for d in desc["items"]) + "]"
    if kind == "dict":
        return f"dict[{_type_text(desc['key'])}, {_type_text(desc['value'])}]"
    if kind == "union":
        return " | ".join(_type_text(d) for d in desc["options"])
    if kind == "literal":
        return "Literal[" + ", ".join(json.dumps(v) for v in desc["values"]) + "]"
    if kind == "dataclass":
        fields = ", ".join(f"{name}: {_type_text(d)}" for name, d in desc["fields"])
        return f"{desc['name']}({fields})"
    return "None" if kind == "none" else str(kind)
