"""Workflows: plain Python functions whose tool and model calls are durable.

``@agentkit.workflow`` turns ``def flow(ctx: Context, **inputs)`` (sync or async) into a
:class:`Workflow`. Running it starts a run (kind ``"workflow"``) in the run store and
invokes the function as a LangGraph functional-API ``entrypoint`` over agentkit's
SQLite checkpointer, with the run id as the thread id. Every call the function makes
through its :class:`Context` (a tool call, a model call, a verification, a sub-solve,
a log line) is a LangGraph ``task``, so its result is checkpointed as it finishes.

Durability and resume: :func:`resume_workflow` invokes the entrypoint again on the same
thread. The function runs again from the top, and each durable call is matched to the
checkpoint by its position among the calls (LangGraph's task id counts them) and its
name: a call that had finished returns its checkpointed result and is not executed
again; the first call that had not finished, and everything after it, runs for real.
So a workflow must make the same durable calls in the same order when run again;
anything it does outside ``ctx`` (printing, reading the clock) simply happens again.

What is checkpointed: the inputs, each finished call's result as plain JSON (a
:class:`~agentkit.ToolResult`, :class:`~agentkit.ModelResponse` or list of
:class:`~agentkit.Verdict` is stored as a dict and rebuilt on the way out; no pickle,
the serializer is strict) and the workflow's return value, which must be
JSON-serialisable. A call's result reaches the checkpoint a moment after the call
returns (LangGraph writes it from a background thread): a process killed inside that
window runs that one call again on resume. Events (tool and model calls, verdicts,
logs) are written to the store as they happen and are never rewritten, so nothing
recorded before a crash is lost.

Sync workflows use the sync methods (``ctx.call``, ``ctx.ask``, ...); async workflows
await the ``a``-prefixed ones (``await ctx.acall(...)``). Several async calls may run
at once with ``asyncio.gather``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

import pydantic_core

from agentkit._runtime import on_event_loop
from agentkit.context import Context, model_name
from agentkit.errors import AgentkitError
from agentkit.models.base import Model
from agentkit.store import Run, Store

KIND = "workflow"
NODE = "workflow"  # the entrypoint's node name: part of every checkpoint, keep it stable
SETTLE_SECONDS = 2.0  # how long a failed async run waits for its other tasks to end


class WorkflowError(AgentkitError):
    """A workflow could not be found, loaded, given its inputs, or return its result."""


class WorkflowFailed(AgentkitError):
    """A workflow raised; its run is recorded as failed. The exception is ``__cause__``."""

    def __init__(self, message: str, run_id: str) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True)
class WorkflowResult:
    """What a finished workflow run gives back."""

    run_id: str
    result: Any

    def to_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "result": self.result}


@dataclass(eq=False)
class Workflow:
    """A workflow function with its name; run it with :meth:`run` (or :meth:`arun`)."""

    name: str
    fn: Callable[..., Any]
    description: str = ""
    plugin: str | None = None
    source: str | None = None  # what load_workflow() takes to find it again on resume

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        *,
        model: Model | str | None = None,
        store: Store | None = None,
    ) -> WorkflowResult:
        """Run the workflow as a new run in ``store`` (default: the user's run store).

        ``model`` is a Model, a model name, or None for the configured default; it is
        only looked up when the workflow first uses it. Raises :class:`WorkflowError`
        for bad inputs (before any run is recorded) and :class:`WorkflowFailed` when
        the workflow raises (the run is then recorded as failed, and can be resumed).
        """
        checked = self.check_inputs(inputs or {})
        return _drive(self, self._record(checked, model, store), checked, model)

    def start(
        self,
        inputs: dict[str, Any] | None = None,
        *,
        model: Model | str | None = None,
        store: Store | None = None,
    ) -> Run:
        """Record a new run of this workflow without running it; run it with
        :func:`resume_workflow`. For callers that must know the run id before the work
        begins (``agentkit eval`` hands it to its parent before a worker may die)."""
        return self._record(self.check_inputs(inputs or {}), model, store)

    def _record(
        self, checked: dict[str, Any], model: Model | str | None, store: Store | None
    ) -> Run:
        meta = {"source": self.source or self.name, "model": model_name(model)}
        return (store or Store()).start_run(KIND, self.name, input=checked, meta=meta)

    async def arun(
        self,
        inputs: dict[str, Any] | None = None,
        *,
        model: Model | str | None = None,
        store: Store | None = None,
    ) -> WorkflowResult:
        """:meth:`run` from async code: the run happens in a worker thread (and, for an
        async workflow, on that thread's own event loop), leaving the caller's loop free."""
        return await asyncio.to_thread(self.run, inputs, model=model, store=store)

    def check_inputs(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """The inputs as they will be stored (plain JSON), if the function accepts them."""
        try:
            stored = pydantic_core.to_jsonable_python(inputs)
        except pydantic_core.PydanticSerializationError as exc:
            raise WorkflowError(
                f"the inputs of workflow '{self.name}' are not JSON: {exc}"
            ) from None
        if not isinstance(stored, dict):
            raise WorkflowError(f"the inputs of workflow '{self.name}' must be a JSON object")
        try:
            inspect.signature(self.fn).bind(None, **stored)
        except TypeError as exc:
            names = list(inspect.signature(self.fn).parameters)[1:]
            takes = ", ".join(names) or "no inputs"
            raise WorkflowError(
                f"bad input for workflow '{self.name}': {exc} (it takes: {takes})"
            ) from None
        return stored


@overload
def workflow(fn: Callable[..., Any], /) -> Workflow: ...
@overload
def workflow(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], Workflow]: ...
def workflow(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Workflow | Callable[[Callable[..., Any]], Workflow]:
    """Decorator: make ``def flow(ctx, **inputs)`` a :class:`Workflow` (``@workflow`` or
    ``@workflow(name="...")``). The description defaults to the docstring."""

    def build(f: Callable[..., Any]) -> Workflow:
        if not inspect.signature(f).parameters:
            raise TypeError(f"workflow {f.__name__}() must take the Context as its first argument")
        doc = description if description is not None else inspect.getdoc(f) or ""
        return Workflow(name=name or f.__name__, fn=f, description=doc)

    return build(fn) if fn is not None else build


# -- running and resuming ----------------------------------------------------------------


def _drive(
    workflow: Workflow, run: Run, inputs: dict[str, Any] | None, model: Model | str | None
) -> WorkflowResult:
    """Invoke the entrypoint on the run's thread (``inputs`` None: continue it)."""
    ctx = Context(run, workflow, model)
    try:
        with run.activate():
            if not workflow.is_async:
                result = _invoke(ctx, inputs)
            else:
                _refuse_running_loop(workflow)
                result = asyncio.run(_ainvoke(ctx, inputs))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        run.finish("failed", error=error)
        raise WorkflowFailed(
            f"workflow '{workflow.name}' failed in run {run.id}: {error} "
            f"(see: agentkit runs show {run.id})",
            run.id,
        ) from exc
    run.finish("done", output=result)
    return WorkflowResult(run.id, result)


def _invoke(ctx: Context, inputs: dict[str, Any] | None) -> Any:
    saver = ctx.run.store.checkpointer()
    try:
        return _entrypoint(ctx, saver).invoke(inputs, _thread(ctx.run.id))
    finally:
        saver.conn.close()


async def _ainvoke(ctx: Context, inputs: dict[str, Any] | None) -> Any:
    async with ctx.run.store.async_checkpointer() as saver:
        try:
            return await _entrypoint(ctx, saver).ainvoke(inputs, _thread(ctx.run.id))
        finally:
            await _settle_other_tasks()


async def _settle_other_tasks() -> None:
    """Let this run's other tasks end before its checkpointer closes (the loop is ours).

    When the workflow fails, LangGraph may still be saving a sibling call's result, and
    a connection closed under a write in flight keeps the database's write lock. They
    get a moment to finish; what is still running then is cancelled, and awaited.
    """
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current]
    if not others:
        return
    _, pending = await asyncio.wait(others, timeout=SETTLE_SECONDS)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _entrypoint(ctx: Context, checkpointer: Any) -> Any:
    """The workflow function as a LangGraph entrypoint bound to this run's context."""
    from langgraph.func import entrypoint

    flow = ctx.workflow
    if flow.is_async:

        async def body(inputs: dict[str, Any]) -> Any:
            return _stored_result(flow, await flow.fn(ctx, **inputs))

    else:

        def body(inputs: dict[str, Any]) -> Any:
            return _stored_result(flow, flow.fn(ctx, **inputs))

    body.__name__ = NODE
    return entrypoint(checkpointer=checkpointer)(body)


def _stored_result(flow: Workflow, value: Any) -> Any:
    try:
        return pydantic_core.to_jsonable_python(value)
    except pydantic_core.PydanticSerializationError:
        raise WorkflowError(
            f"workflow '{flow.name}' returned a {type(value).__name__}, "
            "which is not JSON-serialisable"
        ) from None


def _thread(run_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": run_id}}


def _refuse_running_loop(flow: Workflow) -> None:
    if not on_event_loop():
        return
    raise RuntimeError(
        f"async workflow '{flow.name}' cannot run() inside an event loop; await arun()"
    )


def resume_workflow(
    run_id: str,
    *,
    model: Model | str | None = None,
    store: Store | None = None,
    workflow: Workflow | None = None,
) -> WorkflowResult:
    """Continue a workflow run that was killed or failed; finished calls are not redone.

    The workflow is found again from the run's record (its registered name or its
    ``.py`` path), unless given; the model defaults to the one the run was started
    with. A run that already finished returns its stored result without running.
    """
    store = store or Store()
    row = store.get_run(run_id)
    if row is None:
        raise WorkflowError(f"no run '{run_id}' (see: agentkit runs list)")
    if row["kind"] != KIND:
        raise WorkflowError(f"run {run_id} is a '{row['kind']}' run, not a workflow run")
    if row["status"] == "done":
        return WorkflowResult(run_id, row["output"])
    meta = row["meta"] or {}
    from agentkit.workflow_loader import load_workflow  # it imports this module

    chosen = workflow or load_workflow(meta.get("source") or row["name"])
    inputs = None if store.has_checkpoint(run_id) else row["input"] or {}
    return _drive(chosen, store.run(run_id), inputs, model or meta.get("model"))


# -- finding workflows -------------------------------------------------------------------


@workflow(name="solve")
def solve_workflow(ctx: Context, problem: str, tools: list[str] | None = None) -> dict[str, Any]:
    """The planner graph: plan tool calls, run them, answer, and verify the answer."""
    return ctx.solve(problem, tools=tools)
