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
import contextvars
import dataclasses
import difflib
import functools
import hashlib
import importlib.util
import inspect
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

import pydantic_core

from agentkit.calls import call_model, call_tool
from agentkit.errors import AgentkitError
from agentkit.models.base import Message, Model, ModelResponse
from agentkit.store import Run, Store
from agentkit.tools import Tool, ToolResult
from agentkit.verify import Verdict, Verifier, verify_all

if TYPE_CHECKING:
    from agentkit.graph import Budgets

KIND = "workflow"
NODE = "workflow"  # the entrypoint's node name: part of every checkpoint, keep it stable


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
        inputs = self.check_inputs(inputs or {})
        meta = {"source": self.source or self.name, "model": _model_name(model)}
        run = (store or Store()).start_run(KIND, self.name, input=inputs, meta=meta)
        return _drive(self, run, inputs, model)

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


class Context:
    """What a running workflow gets: durable calls, the model, the tools and the run.

    Each call method is a durable step (see the module docs). Sync workflows use
    ``call``, ``ask``, ``verify``, ``solve`` and ``log``; async workflows await
    ``acall``, ``aask``, ``averify``, ``asolve`` and ``alog``.
    """

    def __init__(self, run: Run, workflow: Workflow, model: Model | str | None = None) -> None:
        self.run = run
        self.workflow = workflow
        self._model = model

    def __repr__(self) -> str:
        return f"Context(workflow={self.workflow.name!r}, run={self.run.id!r})"

    @property
    def model(self) -> Model:
        """The model this run was given, looked up on first use."""
        if self._model is None or isinstance(self._model, str):
            from agentkit.models import get_model

            self._model = get_model(self._model)
        return self._model

    @property
    def tools(self) -> list[str]:
        """The names of every registered tool."""
        from agentkit.registry import get_tools

        return get_tools().names()

    # -- tools ------------------------------------------------------------------------

    def call(self, tool: str | Tool, /, **arguments: Any) -> ToolResult:
        """Call a tool (by name or :class:`Tool`); a failed call is a failed ToolResult."""
        chosen = _tool(tool)
        saved = self._durable(f"call_{chosen.name}", self._call_now, chosen, arguments)
        return ToolResult.model_validate(saved)

    async def acall(self, tool: str | Tool, /, **arguments: Any) -> ToolResult:
        chosen = _tool(tool)
        saved = await self._adurable(f"call_{chosen.name}", self._call_now, chosen, arguments)
        return ToolResult.model_validate(saved)

    def _call_now(self, tool: Tool, arguments: dict[str, Any]) -> dict[str, Any]:
        return call_tool(tool, arguments, run=self.run).to_dict()

    # -- the model --------------------------------------------------------------------

    def ask(self, messages: str | list[Message], /, **options: Any) -> ModelResponse:
        """One model call (a str is one user message); ``options`` go to ``call_model``."""
        saved = self._durable("ask", self._ask_now, _conversation(messages), options)
        return ModelResponse.model_validate(saved)

    async def aask(self, messages: str | list[Message], /, **options: Any) -> ModelResponse:
        saved = await self._adurable("ask", self._ask_now, _conversation(messages), options)
        return ModelResponse.model_validate(saved)

    def _ask_now(self, messages: list[Message], options: dict[str, Any]) -> dict[str, Any]:
        return call_model(self.model, messages, run=self.run, **options).model_dump(mode="json")

    # -- verifiers --------------------------------------------------------------------

    def verify(
        self,
        candidate: Any,
        problem: Any = None,
        verifiers: Sequence[Verifier | str] | None = None,
    ) -> list[Verdict]:
        """Judge ``candidate`` with the verifiers that apply (default: every registered
        one, or these objects or names); each verdict is recorded as an event."""
        saved = self._durable("verify", self._verify_now, candidate, problem, verifiers)
        return [Verdict.model_validate(verdict) for verdict in saved]

    async def averify(
        self,
        candidate: Any,
        problem: Any = None,
        verifiers: Sequence[Verifier | str] | None = None,
    ) -> list[Verdict]:
        saved = await self._adurable("verify", self._verify_now, candidate, problem, verifiers)
        return [Verdict.model_validate(verdict) for verdict in saved]

    def _verify_now(
        self, candidate: Any, problem: Any, verifiers: Sequence[Verifier | str] | None
    ) -> list[Any]:
        chosen = None if verifiers is None else [_verifier(v) for v in verifiers]
        verdicts = verify_all(candidate, problem, chosen, run=self.run)
        return pydantic_core.to_jsonable_python(verdicts, fallback=repr)

    # -- the planner graph ------------------------------------------------------------

    def solve(
        self, problem: str, *, tools: Sequence[str] | None = None, budgets: Budgets | None = None
    ) -> dict[str, Any]:
        """Run the planner graph on a sub-problem, as a child run of kind ``solve``.

        Returns the solve's result (``answer``, ``verified``, ``run_id`` of the child
        run, ``plan``, ...). Uses this run's model, the named tools (default: all) and
        every registered verifier. The child run is checkpointed on its own, so a
        resume continues a sub-solve that was cut short instead of starting it over.
        """
        child = self._durable("solve_start", self._start_solve, problem, tools, budgets)
        return self._durable("solve", self._solve_now, child)

    async def asolve(
        self, problem: str, *, tools: Sequence[str] | None = None, budgets: Budgets | None = None
    ) -> dict[str, Any]:
        child = await self._adurable("solve_start", self._start_solve, problem, tools, budgets)
        return await self._adurable("solve", self._solve_now, child)

    plan = solve  # the name the issue gives it: plan, execute, answer, verify
    aplan = asolve

    def _start_solve(
        self, problem: str, tools: Sequence[str] | None, budgets: Budgets | None
    ) -> str:
        from agentkit.graph import Budgets

        meta = {
            "model": _model_name(self._model) or self.model.name,
            "tools": sorted(tools) if tools is not None else self.tools,
            "budgets": vars(budgets or Budgets()),
            "parent": self.run.id,
        }
        child = self.run.store.start_run("solve", "solve", input={"problem": problem}, meta=meta)
        return child.id

    def _solve_now(self, child_id: str) -> dict[str, Any]:
        from agentkit.graph import Budgets, Solver, run_solver
        from agentkit.registry import get_tool

        store = self.run.store
        row = store.get_run(child_id) or {}
        if row.get("status") != "running":  # it finished before the crash
            return row.get("output") or {}
        meta = row["meta"]
        solver = Solver(
            self.model,
            {name: get_tool(name) for name in meta["tools"]},
            budgets=Budgets(**meta["budgets"]),
            run=store.run(child_id),
        )
        state = (
            None
            if has_checkpoint(store, child_id)
            else Solver.initial_state(row["input"]["problem"])
        )
        # A fresh context: inside this task, LangGraph's own context would make the
        # solver graph a subgraph of the workflow instead of a graph of its own.
        return contextvars.Context().run(asyncio.run, run_solver(solver, state))

    # -- the run log ------------------------------------------------------------------

    def log(self, message: str, **data: Any) -> None:
        """Record a ``log`` event in the run (once, even across a resume)."""
        self._durable("log", self._log_now, message, data)

    async def alog(self, message: str, **data: Any) -> None:
        await self._adurable("log", self._log_now, message, data)

    def _log_now(self, message: str, data: dict[str, Any]) -> None:
        payload = {"message": message, "data": data}
        self.run.record(
            "log", self.workflow.name, started=time.time(), elapsed=0.0, payload=payload
        )

    # -- durable steps ----------------------------------------------------------------

    def _durable(self, name: str, body: Callable[..., Any], *args: Any) -> Any:
        if self.workflow.is_async:
            raise RuntimeError(
                f"a sync ctx method would block async workflow '{self.workflow.name}'; "
                f"await the async one instead (ctx.a{name.split('_')[0]}(...))"
            )
        return _task(name, body, *args).result()

    async def _adurable(self, name: str, body: Callable[..., Any], *args: Any) -> Any:
        return await _task(name, body, *args)


def _task(name: str, body: Callable[..., Any], *args: Any) -> Any:
    """Schedule ``body(*args)`` as a LangGraph task named ``name``; returns its future.

    The body is always a plain function: in an async workflow LangGraph runs it in a
    worker thread, so blocking store writes never stall the event loop.
    """
    from langgraph.func import task

    # A fresh partial each time: task() renames the function it is given.
    return task(name=name)(functools.partial(body, *args))()


def _tool(tool: str | Tool) -> Tool:
    from agentkit.registry import get_tool

    return tool if isinstance(tool, Tool) else get_tool(tool)


def _verifier(verifier: Verifier | str) -> Verifier:
    from agentkit.registry import get_verifiers

    return get_verifiers().get(verifier) if isinstance(verifier, str) else verifier


def _conversation(messages: str | list[Message]) -> list[Message]:
    return [{"role": "user", "content": messages}] if isinstance(messages, str) else messages


def _model_name(model: Model | str | None) -> str | None:
    return model if model is None or isinstance(model, str) else model.name


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
        return await _entrypoint(ctx, saver).ainvoke(inputs, _thread(ctx.run.id))


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
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"async workflow '{flow.name}' cannot run() inside an event loop; await arun()"
    )


def has_checkpoint(store: Store, thread_id: str) -> bool:
    """Whether LangGraph saved anything for this run yet (else a resume starts afresh)."""
    saver = store.checkpointer()
    try:
        return saver.get_tuple(_thread(thread_id)) is not None
    finally:
        saver.conn.close()


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
    chosen = workflow or load_workflow(meta.get("source") or row["name"])
    inputs = None if has_checkpoint(store, run_id) else row["input"] or {}
    return _drive(chosen, store.run(run_id), inputs, model or meta.get("model"))


# -- finding workflows -------------------------------------------------------------------


def load_workflow(spec: str) -> Workflow:
    """A workflow by registered name, or from a file: ``flow.py`` or ``flow.py:name``.

    A file must define exactly one ``@workflow``, unless ``:name`` picks one.
    """
    head, sep, tail = spec.rpartition(":")
    if spec.endswith(".py"):
        return _from_file(spec, None)
    if sep and head.endswith(".py"):
        return _from_file(head, tail)
    return _registered(spec)


def _registered(name: str) -> Workflow:
    from agentkit.registry import get_workflows

    registry = get_workflows()
    entry = registry.entries.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, registry.names(), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        known = ", ".join(registry.names()) or "none"
        raise WorkflowError(
            f"unknown workflow '{name}'{hint} (registered: {known}; or give a path to a .py file)"
        )
    item = entry.item if isinstance(entry.item, Workflow) else _wrap(entry.item, name)
    return dataclasses.replace(item, name=name, plugin=entry.plugin, source=name)


def _wrap(item: Any, name: str) -> Workflow:
    if not callable(item):
        raise WorkflowError(f"workflow '{name}' is {item!r}, not a workflow function")
    return workflow(item)


def _from_file(path_text: str, wanted: str | None) -> Workflow:
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise WorkflowError(f"no workflow file {path_text}")
    module = _import_file(path)
    found = {
        item.name: item
        for item in vars(module).values()
        if isinstance(item, Workflow) and item.fn.__module__ == module.__name__
    }
    names = ", ".join(sorted(found))
    if wanted is not None and wanted not in found:
        raise WorkflowError(
            f"{path_text} has no workflow '{wanted}' (it defines: {names or 'none'})"
        )
    if wanted is None and len(found) != 1:
        if not found:
            raise WorkflowError(f"{path_text} defines no @agentkit.workflow")
        raise WorkflowError(
            f"{path_text} defines several workflows ({names}); pick one as {path_text}:NAME"
        )
    chosen = found[wanted] if wanted is not None else next(iter(found.values()))
    return dataclasses.replace(chosen, source=f"{path}:{chosen.name}")


def _import_file(path: Path) -> Any:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    module_name = f"agentkit_workflow_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise WorkflowError(f"cannot load workflow file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while it runs
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise WorkflowError(
            f"cannot load workflow file {path}: {type(exc).__name__}: {exc}"
        ) from exc
    return module


@workflow(name="solve")
def solve_workflow(ctx: Context, problem: str, tools: list[str] | None = None) -> dict[str, Any]:
    """The planner graph: plan tool calls, run them, answer, and verify the answer."""
    return ctx.solve(problem, tools=tools)
