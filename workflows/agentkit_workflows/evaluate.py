"""Scoring a workflow on a dataset: what ``agentkit eval`` does, without the command line.

Items: one JSON object per line of a JSONL file. Its fields become the workflow's
inputs by name, with the common dataset shapes mapped for you (``question`` feeds a
``problem`` input); the gold answer is ``answer``, else ``gold``, else the final answer
of ``solution``. A line that is not JSON, or lacks a field the workflow needs, is an
item that failed, with the reason; it never stops the evaluation.

Parallelism: items run in N worker processes, spawned (so none of the parent's threads
or locks leak into them), one item at a time each. A worker tells the parent its item's
run id as soon as the run exists. When a worker dies mid-item (``os._exit``, a
segfault, the OOM killer) or overruns the per-item timeout, the item is recorded as
failed, its run is marked failed in the store, and a fresh worker takes the next item.

Resume: ``results.jsonl`` gets one line per finished item, appended with a single write
the moment the item finishes, so killing the evaluation loses nothing that finished.
Lines are keyed by the item's line number and a hash of its text: a rerun into the same
output directory skips the items already there, and runs a line edited since. Each
run id is also noted in ``started.jsonl`` when the run begins, so an item cut short by a
killed evaluation continues its run on the rerun (finished model and tool calls are
not made again) instead of starting over.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import json
import os
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentkit import AgentkitError, Store, Workflow
from agentkit.files import write_atomically
from agentkit.replies import final_answer
from agentkit_workflows._eval_pool import Job, WorkerStartError, run_jobs

__all__ = [
    "EvalError",
    "Evaluation",
    "FieldMap",
    "Item",
    "WorkerStartError",
    "default_out",
    "read_items",
    "run_jobs",
    "run_tokens",
    "score",
    "summarise",
]

RESULTS, STARTED, SUMMARY, SETTINGS = "results.jsonl", "started.jsonl", "summary.json", "eval.json"
ALIASES = {"problem": ("question",), "question": ("problem",)}  # columns an input falls back on
GOLD_COLUMNS = ("answer", "gold")


class EvalError(AgentkitError):
    """The evaluation cannot start as asked: bad options, no items, a busy output directory."""


# -- items ------------------------------------------------------------------------------


@dataclass
class Item:
    """One line of the dataset: the workflow's inputs and the gold answer, or why not."""

    line: int
    key: str
    inputs: dict[str, Any] | None = None
    gold: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class FieldMap:
    """How a dataset's columns become a workflow's inputs and its gold answer."""

    params: dict[str, bool]  # the workflow's inputs: name -> required
    fields: dict[str, str] = field(default_factory=dict)  # input -> column, as told
    fixed: dict[str, Any] = field(default_factory=dict)  # the same for every item
    gold: str | None = None  # the gold column, None for the usual ones

    @classmethod
    def for_workflow(
        cls,
        flow: Workflow,
        fields: dict[str, str] | None = None,
        fixed: dict[str, Any] | None = None,
        gold: str | None = None,
    ) -> FieldMap:
        parameters = list(inspect.signature(flow.fn).parameters.values())[1:]
        params = {
            p.name: p.default is inspect.Parameter.empty
            for p in parameters
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        unknown = sorted((set(fields or {}) | set(fixed or {})) - set(params))
        if unknown:
            takes = ", ".join(params) or "no inputs"
            raise EvalError(
                f"workflow '{flow.name}' has no input {', '.join(map(repr, unknown))} "
                f"(it takes: {takes})"
            )
        return cls(params, dict(fields or {}), dict(fixed or {}), gold)

    def item(self, line: int, text: str) -> Item:
        key = item_key(line, text)
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            return Item(line, key, error=f"not JSON: {exc.msg} (column {exc.colno})")
        if not isinstance(record, dict):
            kind = type(record).__name__
            return Item(line, key, error=f"a JSON {kind}, not an object")
        inputs, error = self.inputs_of(record)
        return Item(line, key, inputs, self.gold_of(record), error)

    def inputs_of(self, record: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        inputs: dict[str, Any] = {}
        for name, required in self.params.items():
            if name in self.fixed:
                inputs[name] = self.fixed[name]
                continue
            columns = (
                (self.fields[name],) if name in self.fields else (name, *ALIASES.get(name, ()))
            )
            column = next((c for c in columns if c in record), None)
            if column is not None:
                inputs[name] = record[column]
            elif required:
                wanted = " or ".join(map(repr, columns))
                return inputs, f"no field {wanted} for the input '{name}'"
        return inputs, None

    def gold_of(self, record: dict[str, Any]) -> str | None:
        if self.gold is not None:
            value = record.get(self.gold)
            return None if value is None else gold_text(value)
        for column in GOLD_COLUMNS:
            if record.get(column) is not None:
                return gold_text(record[column])
        solution = record.get("solution")
        return final_answer(solution) if isinstance(solution, str) else None


def gold_text(value: Any) -> str:
    """A gold answer as text: GSM8K's ``#### 72`` tail, a worked solution's final
    answer, or the value itself."""
    text = str(value)
    if "####" in text:
        return text.rsplit("####", 1)[1].strip()
    return final_answer(text) or text.strip()


def item_key(line: int, text: str) -> str:
    """What a result is filed under: the line number and a hash of the line."""
    return f"{line}:{hashlib.sha256(text.strip().encode()).hexdigest()[:16]}"


def read_items(path: Path, fields: FieldMap, limit: int | None = None) -> list[Item]:
    """The dataset's items (blank lines skipped), the first ``limit`` of them."""
    items: list[Item] = []
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, 1):
            if limit is not None and len(items) >= limit:
                break
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                items.append(
                    Item(number, item_key(number, repr(raw)), error=f"line {number}: {exc}")
                )
                continue
            if text.strip():
                items.append(fields.item(number, text))
    return items


# -- scoring ----------------------------------------------------------------------------


def result_row(item: Item, outcome: dict[str, Any], store: Store) -> dict[str, Any]:
    """The line of ``results.jsonl`` for an item that ran (or failed before it could)."""
    error, run_id = outcome.get("error"), outcome.get("run_id")
    found = _result_fields(outcome.get("result")) if error is None else _nothing_found()
    row: dict[str, Any] = {
        "key": item.key,
        "line": item.line,
        "run_id": run_id,
        "status": "done" if error is None else "failed",
        "error": error,
        "gold": item.gold,
        **found,
    }
    row.update(score(item.gold, row["answer"], row.get("candidates")))
    row["tokens"] = run_tokens(store, run_id) if run_id else _no_tokens()
    row["seconds"] = round(outcome.get("seconds", 0.0), 3)
    return row


def _result_fields(result: Any) -> dict[str, Any]:
    if not isinstance(result, dict):
        return {"answer": result, "verified": False, "attempts": None}
    found = {
        "answer": result.get("answer"),
        "verified": result.get("verified") is True,
        "attempts": result.get("attempts"),
    }
    if isinstance(result.get("candidates"), list):
        found["candidates"] = result["candidates"]
    return found


def _nothing_found() -> dict[str, Any]:
    return {"answer": None, "verified": False, "attempts": None}


def score(gold: str | None, answer: Any, candidates: list[Any] | None = None) -> dict[str, Any]:
    """``correct`` (the answer equals gold) and ``covered`` (the answer or any candidate
    does), judged by ``math_equal``; both None without a gold answer."""
    if gold is None:
        return {"correct": None, "covered": None}
    problems: list[str] = []
    correct = _same(gold, answer, problems)
    others = _distinct(candidates or [], answer)
    covered = correct or any(_same(gold, other, problems) for other in others)
    scored: dict[str, Any] = {"correct": correct, "covered": covered}
    if problems:
        scored["score_error"] = problems[0]
    return scored


def _same(gold: str, value: Any, problems: list[str]) -> bool:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    if isinstance(value, str) and not value.strip():
        return False
    from agentkit_solver import math_equal  # starts the solver's workers on first use

    try:
        return math_equal(gold, value)
    except AgentkitError as exc:
        problems.append(str(exc))
        return False


def _distinct(candidates: list[Any], answer: Any) -> Iterator[Any]:
    seen = {str(answer)}
    for candidate in candidates:
        if str(candidate) not in seen:
            seen.add(str(candidate))
            yield candidate


def run_tokens(store: Store, run_id: str) -> dict[str, int]:
    """Tokens of every model call recorded for a run and the runs it started."""
    used = store.run(run_id).usage(children=True)
    prompt, completion = used["prompt_tokens"], used["completion_tokens"]
    return {"prompt": prompt, "completion": completion, "total": prompt + completion}


def _no_tokens() -> dict[str, int]:
    return {"prompt": 0, "completion": 0, "total": 0}


def summarise(rows: list[dict[str, Any]], items: int) -> dict[str, Any]:
    """The numbers of an evaluation, from its result rows (one per item recorded).

    Accuracy and coverage count the items with a gold answer, a failed item as wrong;
    the verified rate counts every item recorded; tokens and seconds per item count
    every item that ran.
    """
    graded = [row for row in rows if row.get("gold") is not None]
    ran = [row for row in rows if row.get("run_id")]
    correct = sum(row.get("correct") is True for row in graded)
    covered = sum(row.get("covered") is True for row in graded)
    verified = sum(row.get("verified") is True for row in rows)
    return {
        "items": items,
        "finished": sum(row["status"] == "done" for row in rows),
        "failed": sum(row["status"] != "done" for row in rows),
        "with_gold": len(graded),
        "correct": correct,
        "accuracy": _share(correct, len(graded)),
        "verified": verified,
        "verified_rate": _share(verified, len(rows)),
        "covered": covered,
        "coverage": _share(covered, len(graded)),
        "tokens": _spread([row["tokens"]["total"] for row in ran]),
        "seconds": _spread([row["seconds"] for row in ran]),
        "failures": [
            {"line": row["line"], "error": row["error"]} for row in rows if row["status"] != "done"
        ],
    }


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"total": 0, "mean": None, "median": None}
    total = sum(values)
    return {
        "total": round(total, 3) if isinstance(total, float) else total,
        "mean": round(statistics.fmean(values), 3),
        "median": statistics.median(values),
    }


# -- the evaluation ---------------------------------------------------------------------


@dataclass
class Evaluation:
    """A workflow and a model over a dataset, recorded in an output directory."""

    flow: Workflow
    model: str
    data: Path
    out: Path
    fields: FieldMap
    workers: int = 4
    limit: int | None = None
    timeout: float | None = None
    retry_failed: bool = False

    def items(self) -> list[Item]:
        items = read_items(self.data, self.fields, self.limit)
        if not items:
            raise EvalError(f"{self.data} has no items (one JSON object per line)")
        return items

    def run(
        self,
        on_plan: Callable[[int, int], None] | None = None,
        on_row: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Run every item not yet recorded; return (and write) the summary.

        ``on_plan(items, skipped)`` is called once the work is known, ``on_row(row)``
        as each item is recorded.
        """
        items = self.items()
        self.out.mkdir(parents=True, exist_ok=True)
        with _locked(self.out):
            self._check_settings()
            recorded = _latest(self.out / RESULTS)
            todo = [item for item in items if not self._settled(recorded.get(item.key))]
            if on_plan is not None:
                on_plan(len(items), len(items) - len(todo))
            recorder = _Recorder(self.out / RESULTS, on_row)
            try:
                self._run_items(todo, recorder)
            finally:
                summary = {
                    "workflow": self.flow.name,
                    "model": self.model,
                    "data": str(self.data),
                    "out": str(self.out),
                    "results": str(self.out / RESULTS),
                    "ran": recorder.count,
                    "skipped": len(items) - len(todo),
                    **summarise(self.rows(items), len(items)),
                }
                write_json(self.out / SUMMARY, summary)
        return summary

    def _run_items(self, todo: list[Item], record: _Recorder) -> None:
        for item in todo:
            if item.error is not None:
                record(item, {"run_id": None, "error": item.error, "seconds": 0.0})
        started = self.out / STARTED
        begun = {line["key"]: line["run_id"] for line in read_lines(started)}
        by_key = {item.key: item for item in todo}
        run_jobs(
            [Job(i.key, i.inputs or {}, begun.get(i.key)) for i in todo if i.error is None],
            spec=self.flow.source or self.flow.name,
            model=self.model,
            workers=self.workers,
            timeout=self.timeout,
            on_started=lambda job, run_id: append_line(started, {"key": job.key, "run_id": run_id}),
            on_done=lambda job, outcome: record(by_key[job.key], outcome),
        )

    def _settled(self, row: dict[str, Any] | None) -> bool:
        return row is not None and (row.get("status") == "done" or not self.retry_failed)

    def rows(self, items: list[Item] | None = None) -> list[dict[str, Any]]:
        """The recorded row of each item, in dataset order (items not yet run left out)."""
        recorded = _latest(self.out / RESULTS)
        return [recorded[item.key] for item in items or self.items() if item.key in recorded]

    def _check_settings(self) -> None:
        """One output directory holds one evaluation: refuse to mix in another's results."""
        wanted = {
            "workflow": self.flow.source or self.flow.name,
            "model": self.model,
            "inputs": self.fields.fixed,
            "fields": self.fields.fields,
            "gold": self.fields.gold,
        }
        path = self.out / SETTINGS
        saved = _read_json(path)
        if not isinstance(saved, dict):
            write_json(path, wanted)
            return
        clashes = [f"{key} {saved.get(key)!r}" for key in wanted if saved.get(key) != wanted[key]]
        if clashes:
            raise EvalError(
                f"{self.out} holds another evaluation ({', '.join(clashes)}); "
                "give another --out, or delete it to start over"
            )


class _Recorder:
    """Writes each item's row the moment the item ends, and counts them."""

    def __init__(self, results: Path, on_row: Callable[[dict[str, Any]], None] | None) -> None:
        self.store, self.results, self.on_row, self.count = Store(), results, on_row, 0

    def __call__(self, item: Item, outcome: dict[str, Any]) -> None:
        row = result_row(item, outcome, self.store)
        if row["error"] is not None and row["run_id"] is not None:
            _fail_abandoned_run(self.store, row["run_id"], row["error"])
        append_line(self.results, row)
        self.count += 1
        if self.on_row is not None:
            self.on_row(row)


def default_out(flow: Workflow, data: Path, model: str) -> Path:
    """``evals/WORKFLOW-DATA-MODEL``, in the current directory."""
    return Path("evals") / "-".join(_slug(part) for part in (flow.name, data.stem, model))


def _slug(text: str) -> str:
    return "".join(char if char.isalnum() or char in "._" else "_" for char in text)


def _fail_abandoned_run(store: Store, run_id: str, error: str) -> None:
    """A run whose worker died or was stopped is still 'running' in the store: end it."""
    run = store.get_run(run_id)
    if run is not None and run["status"] == "running":
        store.run(run_id).finish("failed", error=error)


@contextlib.contextmanager
def _locked(out: Path) -> Iterator[None]:
    with (out / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EvalError(f"another agentkit eval is writing to {out}") from None
        yield


# -- files ------------------------------------------------------------------------------


def append_line(path: Path, record: dict[str, Any]) -> None:
    """Append one JSON line in a single write: a killed process leaves whole lines only."""
    data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data  # end a line torn by a crash, so it cannot swallow this one
        os.write(fd, data)
    finally:
        os.close(fd)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file we wrote; a torn line is left out."""
    if not path.exists():
        return []
    records = []
    for line in path.read_bytes().splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "key" in record:
                records.append(record)
    return records


def _latest(path: Path) -> dict[str, dict[str, Any]]:
    return {record["key"]: record for record in read_lines(path)}


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, document: Any) -> None:
    """Write a JSON file whole or not at all."""
    write_atomically(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
