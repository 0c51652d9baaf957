"""``refute(...)``: the Python API behind the command, the tool and the verifier."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Sequence
from typing import Any

from hypothesis.strategies import SearchStrategy

from agentkit.models import get_model
from agentkit.models.base import Model
from agentkit.worker import WorkerError
from agentkit_refute import domain, model_generator
from agentkit_refute.compare import MODES, Mode
from agentkit_refute.executor import Executor, Oracle, Verdict
from agentkit_refute.search import MODEL_SIZES, STALLED_SHARE, RefuteResult, Search
from agentkit_refute.targets import RefuteError, Target
from agentkit_refute.values import decode_seed, encode

DEFAULT_BUDGET = 10.0
DEFAULT_TIMEOUT = 2.0


def refute(
    candidate: Target | None = None,
    *,
    reference: Target | None = None,
    prop: Target | None = None,
    witness: Target | None = None,
    generator: Target | None = None,
    validator: Target | None = None,
    checker: Target | None = None,
    signature: Target | None = None,
    seeds: Sequence[Any] = (),
    strategy: SearchStrategy[Any] | None = None,
    budget: float = DEFAULT_BUDGET,
    timeout: float = DEFAULT_TIMEOUT,
    compare: Mode = "exact",
    tolerance: float = 1e-9,
    random_seed: int = 0,
    model: Model | str | None = None,
) -> RefuteResult:
    """Search for an input on which ``candidate`` is wrong (or, with ``witness``, one on
    which the predicate holds), shrink it, and report it; or report what was searched.

    Exactly one oracle: ``reference`` (differential testing), ``prop`` (``prop(input,
    output) -> bool``) or ``witness`` (no candidate). A program candidate (stdin to
    stdout) needs a program reference and a ``generator`` (``generate(rng, size) -> str``).
    The inputs of a function come from its type hints; also, or instead, from
    ``seeds`` (tried first; without hints the search learns their shape), a
    ``generator`` (``generate(rng, size)`` returning the argument, or a tuple of them)
    or a Hypothesis ``strategy`` (drawing the same). A ``validator`` (or a function
    ``precondition`` beside the reference) takes the arguments and says which are valid.
    All code runs in the sandbox; ``timeout`` is the time limit per input. With a
    ``model`` (a :class:`agentkit.Model` or a model name), the model also writes input
    generators aimed at the candidate's likely bug (the REFUTE setting), whose inputs
    are validated and judged like every other.
    """
    mode = _mode(candidate, reference, prop, witness)
    if compare not in MODES:
        raise RefuteError(f"compare must be one of {', '.join(MODES)}, not {compare!r}")
    if budget <= 0 or timeout <= 0:
        raise RefuteError("budget and timeout must be positive")
    subject = witness if mode == "witness" else candidate
    assert subject is not None
    programs = subject.kind == "program"
    if programs and (generator is None or reference is None or reference.kind != "program"):
        raise RefuteError(
            "a stdin program needs a program reference and an input generator (--generator)"
        )
    if strategy is not None and programs:
        raise RefuteError("a Hypothesis strategy is for functions: a program takes a generator")
    oracle = Oracle(mode, reference, prop, checker, compare=compare, tolerance=tolerance)
    if programs:
        oracle.validator = validator
    else:
        oracle.precondition = validator
    started = time.monotonic()
    try:
        executor = Executor(
            subject,
            oracle,
            timeout=timeout,
            user_generator=generator is not None,
            model_generator=model is not None,
        )
    except WorkerError as exc:
        raise RefuteError(f"the sandbox did not start: {exc}") from exc
    executor.deadline = started + budget  # loading the code counts against the budget too
    try:
        _check_helpers(executor, [oracle.prop, oracle.checker, validator, generator, signature])
        params, arity, names = (
            (None, 0, [])
            if programs
            else _parameters(
                executor, subject, oracle, list(seeds), generator or strategy, signature
            )
        )
        executor.names = names
        propose = None
        if model is not None:
            propose = _proposer(
                get_model(model) if isinstance(model, str) else model,
                executor,
                subject,
                oracle,
                params,
                arity,
                generator if programs else None,
            )
        search = Search(
            executor,
            params=params,
            arity=arity,
            programs=programs,
            generator=generator,
            strategy=strategy,
            seeds=[str(s) if programs else _as_args(s, params, arity) for s in seeds],
            budget=budget,
            random_seed=random_seed,
            propose=propose,
            started=started,
        )
        outcome = search.run()
    except WorkerError as exc:
        raise RefuteError(f"the search stopped: {exc}") from exc
    finally:
        executor.close()
    return _result(mode, subject.entry or "", outcome, search, executor, time.monotonic() - started)


def _check_helpers(executor: Executor, helpers: list[Target | None]) -> None:
    """Each helper function (property, checker, validator, generator) loads and exists:
    a wrong name would otherwise fail on every input, as if the candidate had."""
    for helper in helpers:
        if helper is not None:
            _require_loaded(helper, executor.describe(helper, side="oracle"))


def _require_loaded(target: Target, described: dict[str, Any]) -> None:
    """A one-line error when the sandbox could not load ``target`` (its file raised on
    import, or has no such function)."""
    if described["status"] != "ok":
        problem = described.get("error", described["status"])
        raise RefuteError(f"{target.filename}: cannot load it: {problem}")


def _proposer(
    model: Model,
    executor: Executor,
    subject: Target,
    oracle: Oracle,
    params: list[dict] | None,
    arity: int,
    generator: Target | None,
) -> model_generator.Proposer:
    example = None
    if generator is not None:  # show the model what a valid stdin looks like
        made = executor.generate(generator, [[0, 3]], side="oracle")[0]
        example = made["output"] if made["status"] == "ok" else None
    return model_generator.proposer(
        model,
        subject,
        oracle_kind=oracle.mode,
        oracle=oracle.reference or oracle.prop,
        types=model_generator.describe_types(params) if params else "(not known)",
        arity=arity,
        max_size=MODEL_SIZES,
        example=example if isinstance(example, str) else None,
        searched="Boundary values and every small input are tried separately: aim past them.",
    )


def _mode(
    candidate: Target | None, reference: Target | None, prop: Target | None, witness: Target | None
) -> str:
    oracles = [
        name
        for name, t in (("differential", reference), ("property", prop), ("witness", witness))
        if t
    ]
    if len(oracles) != 1:
        raise RefuteError("give exactly one of a reference, a property or a witness predicate")
    if oracles[0] == "witness" and candidate is not None:
        raise RefuteError("a witness search has no candidate: give the predicate only")
    if oracles[0] != "witness" and candidate is None:
        raise RefuteError("give the candidate to refute")
    return oracles[0]


def _parameters(
    executor: Executor,
    subject: Target,
    oracle: Oracle,
    seeds: list[Any],
    other_source: Any,
    signature: Target | None,
) -> tuple[list[dict] | None, int, list[str]]:
    """The input domain, the number of arguments and their names.

    The domain comes from what judges the code, never from the code under suspicion:
    the reference's type hints, else a ``signature`` given with the problem, else the
    property's hint for its input, else the seeds; None when only ``other_source`` (a
    generator or a strategy) can make inputs. A candidate could otherwise narrow its
    own search (``xs: Literal[(1, 2, 3)]``) to the inputs it gets right. Its hints are
    read for its number of arguments and their names only, and the constants it uses
    are tried early (they add inputs, never take any away). A witness predicate is the
    specification itself: its hints are the domain.

    Also picks up a ``precondition`` function defined beside the reference.
    """
    judges = [t for t in (oracle.reference, signature, oracle.prop) if t is not None]
    typed_by = subject if oracle.mode == "witness" or not judges else judges[0]
    with concurrent.futures.ThreadPoolExecutor(2) as both:  # two workers: no need to queue
        untyped = both.submit(executor.describe, subject, side="subject")
        typed = (
            None if typed_by is subject else both.submit(executor.describe, typed_by, side="oracle")
        )
        subject_info = untyped.result()
        info = typed.result() if typed else subject_info
    _require_loaded(subject, subject_info)
    _require_loaded(typed_by, info)
    own = _checked_params(subject_info.get("params"), subject)
    if (
        oracle.reference
        and oracle.precondition is None
        and "precondition" in info.get("functions", [])
    ):
        oracle.precondition = Target(typed_by.source, typed_by.filename, "precondition")
    if typed_by is subject and oracle.mode != "witness":
        params = [{"name": p["name"]} for p in own]  # no trusted types
    elif typed_by is oracle.prop:
        params = _property_params(_checked_params(info.get("params"), typed_by), own)
    else:
        params = _checked_params(info.get("params"), typed_by)
    if oracle.mode == "witness":
        params = params[:1]  # the searched input; the other parameters keep their defaults
    names = [p["name"] for p in params]
    missing = [p["name"] for p in params if "type" not in p or p["type"]["t"] == "unsupported"]
    if missing and not seeds:
        if other_source is not None:
            return None, len(params), names
        raise RefuteError(_no_domain(typed_by, subject, oracle.prop, missing))
    types = _learned_from_seeds(seeds, len(params)) if missing else [p["type"] for p in params]
    literals: dict[str, list[Any]] = {}
    for described in (info, subject_info):  # the judge's constants, then the subject's
        for kind, values in _checked_literals(described.get("literals")).items():
            literals[kind] = [*literals.get(kind, []), *values]
    return domain.with_literals(types, literals), len(params), names


def _property_params(prop_params: list[dict], own: list[dict]) -> list[dict]:
    """The candidate's parameters, typed by the property's hint for its input (its first
    parameter): the argument itself, or a tuple of all of them."""
    hint = prop_params[0].get("type") if prop_params else None
    if hint and len(own) == 1:
        return [{"name": own[0]["name"], "type": hint}]
    if hint and hint["t"] == "tuple" and len(hint["items"]) == len(own):
        return [{"name": p["name"], "type": t} for p, t in zip(own, hint["items"], strict=True)]
    return [{"name": p["name"]} for p in own]


def _no_domain(typed_by: Target, subject: Target, prop: Target | None, missing: list[str]) -> str:
    """One line saying where the inputs' types must come from."""
    if typed_by is prop:
        return (
            f"{subject.filename}: nothing says what inputs {subject.entry}() takes, and the "
            "code under test does not choose its own inputs: give a --reference, annotate "
            "the property's first parameter (the input), or give --seeds FILE.json or a "
            "--generator"
        )
    return (
        f"{typed_by.filename}: {typed_by.entry}() has no usable type hint for "
        f"{', '.join(missing)}: add hints, or give example inputs (--seeds FILE.json) "
        "or an input generator (--generator)"
    )


def _checked_params(raw: Any, typed_by: Target) -> list[dict]:
    """The parameter list the sandbox described, checked (see :func:`domain.check`)."""
    problem = f"{typed_by.filename}: {typed_by.entry}() could not be described"
    if not isinstance(raw, list):
        raise RefuteError(f"{problem}: the sandbox sent {raw!r:.80}")
    for param in raw:
        if not isinstance(param, dict) or not isinstance(param.get("name"), str):
            raise RefuteError(f"{problem}: the sandbox sent {param!r:.80}")
        try:
            if "type" in param:
                domain.check(param["type"])
        except domain.DomainError as exc:
            raise RefuteError(f"{problem}: {exc}") from None
    return raw


LITERAL_TYPES = {"int": int, "float": float, "str": str}


def _checked_literals(raw: Any) -> dict[str, list[Any]]:
    """The constants a worker reported, as far as they are what they should be.

    The subject's report comes from a process that ran the candidate's code, which may
    have replaced anything there: only values of the expected types and sizes pass.
    """
    if not isinstance(raw, dict):
        return {}
    checked = {}
    for kind, expected in LITERAL_TYPES.items():
        values = raw.get(kind)
        if not isinstance(values, list):
            continue
        checked[kind] = [
            v
            for v in values[:64]
            if type(v) is expected and (len(v) <= 20 if isinstance(v, str) else abs(v) <= 10**18)
        ]
    return checked


def _learned_from_seeds(seeds: list[Any], arity: int) -> list[dict]:
    rows = [_as_args(seed, None, arity) for seed in seeds]
    columns = list(zip(*rows, strict=True))
    return [domain.merged([domain.describe_value(v) for v in column]) for column in columns]


def _as_args(seed: Any, params: list[dict] | None, arity: int) -> tuple[Any, ...]:
    """A seed is the argument itself, or (for several parameters) the list of arguments,
    written in JSON: made into values of the parameter types where those are known."""
    try:
        seed = decode_seed(seed)
    except ValueError as exc:
        raise RefuteError(f"the seed {seed!r:.80} does not decode: {exc}") from None
    if arity > 1:
        if not isinstance(seed, list | tuple) or len(seed) != arity:
            raise RefuteError(f"the seed {seed!r:.80} must be a list of {arity} arguments")
        args = tuple(seed)
    else:
        args = (seed,)
    if params is None:
        return args
    try:
        return tuple(domain.coerce(p, v) for p, v in zip(params, args, strict=True))
    except ValueError as exc:
        raise RefuteError(f"the seed {seed!r:.80} does not fit the parameters: {exc}") from None


def _result(
    mode: str,
    entry: str,
    outcome: tuple[Verdict | None, Verdict | None],
    search: Search,
    executor: Executor,
    seconds: float,
) -> RefuteResult:
    smallest, first = outcome
    notes = [_not_reproduced(entry, v, status) for v, status in search.unconfirmed]
    notes += sorted(executor.comparison_notes)
    common: dict[str, Any] = {
        "mode": mode,
        "tries": executor.tries,
        "seconds": round(seconds, 3),
        "searched": search.searched(),
        "notes": notes,
        "first_failure_seconds": (
            None if search.first_failure_seconds is None else round(search.first_failure_seconds, 3)
        ),
    }
    if smallest is not None and first is not None:
        return RefuteResult(
            found=True,
            status="found",
            kind=smallest.kind,
            input=_shown_input(smallest.input),
            original_input=_shown_input(first.input),
            expected=smallest.expected,
            actual=smallest.actual,
            error=smallest.error,
            summary=_found(mode, entry, smallest),
            **common,
        )
    reason = _untested(search, executor)
    if reason:
        return RefuteResult(
            found=False,
            status="untested",
            reason=reason,
            summary=f"untested: {reason}",
            **common,
        )
    return RefuteResult(
        found=False,
        status="not_found",
        summary=_nothing_found(mode, executor.tries, common["searched"]),
        **common,
    )


def _untested(search: Search, executor: Executor) -> str | None:
    """Why too little was tested to say "not found", or None.

    Nothing tested at all (every input invalid, not comparable, or never run), or the
    candidate's workers stuck for much of the budget, is not a search that found nothing.
    """
    counts = search.counts
    if search.unconfirmed:
        failed = [v for v, status in search.unconfirmed if status != "untested"]
        if failed:
            return (
                f"{len(failed)} failing input(s) did not fail again when re-run alone on "
                "fresh workers (state kept between inputs, or a flaky candidate); see the notes"
            )
        return "a failure was seen, but the budget ran out before it could be re-run"
    if executor.stalled > search.budget * STALLED_SHARE:
        return (
            f"the candidate's worker was stuck for {executor.stalled:.1f} s of the "
            f"{search.budget:g} s budget; only {executor.tries} inputs ran"
        )
    if executor.tries:
        return None
    if executor.not_comparable:
        return max(executor.not_comparable, key=executor.not_comparable.__getitem__)
    invalid, untested = counts.get("invalid", 0), counts.get("untested", 0)
    if invalid:
        return (
            f"all {invalid} inputs were invalid (the reference, the precondition or the "
            "validator rejected them)"
        )
    if untested:
        return f"no input could run within the {search.budget:g} s budget"
    return "no input could be made (the seeds, the generator or the types gave none)"


def _not_reproduced(entry: str, verdict: Verdict, status: str) -> str:
    what = _found("differential", entry, verdict).removeprefix("counterexample: ")
    if status == "untested":
        return f"seen once but not re-run (no time left): {what}"
    return f"seen once and did not fail again on fresh workers: {what}"


def _shown_input(value: Any) -> Any:
    """The input as JSON (tuples become lists, other odd values their tagged form)."""
    if isinstance(value, str):
        return value
    plain = value[0] if isinstance(value, tuple) and len(value) == 1 else list(value)
    return _plain(encode(plain))


def _plain(data: Any) -> Any:
    if isinstance(data, list):
        return [_plain(v) for v in data]
    if isinstance(data, dict) and data.get("$") in ("tuple", "set", "frozenset"):
        return [_plain(v) for v in data["v"]]
    return data


def _found(mode: str, entry: str, verdict: Verdict) -> str:
    if isinstance(verdict.input, str):
        shown = repr(verdict.input)  # a program's stdin
    else:
        shown = entry + "(" + ", ".join(repr(a) for a in verdict.input) + ")"
    if mode == "witness":
        return f"witness found: {shown}"
    wrong = f"expected {verdict.expected}, got {verdict.actual}"
    if mode == "property":
        wrong = f"the output {verdict.actual} breaks the property"
    detail = {
        "wrong_output": wrong,
        "crash": f"it crashed: {verdict.error}",
        "timeout": f"it did not finish: {verdict.error}",
    }[verdict.kind or "wrong_output"]
    if verdict.kind == "wrong_output" and verdict.error:
        # Equal outputs that failed (changed arguments, a checker) say why in words only.
        same = verdict.expected == verdict.actual
        detail = verdict.error if same else f"{detail} ({verdict.error})"
    return f"counterexample: {shown}: {detail}"


def _nothing_found(mode: str, tries: int, searched: dict) -> str:
    what = "no witness" if mode == "witness" else "no counterexample"
    scope = f"; {searched['small_scope']}" if "small_scope" in searched else ""
    if "longest_stdin" in searched:
        reach = f"longest stdin {searched['longest_stdin']} characters"
    else:
        reach = (
            f"longest collection {searched.get('longest', 0)}, "
            f"largest integer {searched.get('largest_int', 0)}"
        )
    return (
        f"{what} found in {tries} inputs ({reach}{scope}). "
        "This is not a proof: inputs outside the search may still fail."
    )
