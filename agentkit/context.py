"""The :class:`Context` a workflow gets: every call made through it is a durable task.

See :mod:`agentkit.workflows` for what durability means here and what is checkpointed.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import pydantic_core

from agentkit._runtime import on_event_loop
from agentkit.calls import call_model, call_tool
from agentkit.models.base import Message, Model, ModelResponse
from agentkit.store import Run
from agentkit.tools import Tool, ToolResult
from agentkit.verify import Refined, Verdict, Verifier, arefine, refine, verify_all

if TYPE_CHECKING:
    from agentkit.graph import Budgets
    from agentkit.workflows import Workflow


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
        verdicts = verify_all(candidate, problem, chosen, ctx=self, run=self.run)
        return pydantic_core.to_jsonable_python(verdicts, fallback=repr)

    def refine(
        self,
        generate: Callable[[Any, list[Verdict]], Any],
        problem: Any = None,
        verifiers: Sequence[Verifier | str] | None = None,
        attempts: int = 3,
    ) -> Refined[Any]:
        """:func:`agentkit.verify.refine` with each candidate judged by :meth:`verify`.

        So every verification is durable: on a resume, finished ones return their saved
        verdicts and are neither run nor recorded again. ``generate`` should make its
        model calls through this context (``ctx.ask``) for the same reason.
        """
        return refine(
            generate,
            problem,
            attempts=attempts,
            check=lambda candidate, problem: self.verify(candidate, problem, verifiers),
        )

    async def arefine(
        self,
        generate: Callable[[Any, list[Verdict]], Awaitable[Any]],
        problem: Any = None,
        verifiers: Sequence[Verifier | str] | None = None,
        attempts: int = 3,
    ) -> Refined[Any]:
        """:meth:`refine` for async workflows: ``generate`` is awaited."""
        return await arefine(
            generate,
            problem,
            attempts=attempts,
            check=lambda candidate, problem: self.averify(candidate, problem, verifiers),
        )

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
            "model": model_name(self._model) or self.model.name,
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
            if store.has_checkpoint(child_id)
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
        # In an async workflow only the event loop's thread must not block; a verifier
        # that ``averify`` runs in a worker thread may call ``ctx.call`` and wait.
        if self.workflow.is_async and on_event_loop():
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


def model_name(model: Model | str | None) -> str | None:
    return model if model is None or isinstance(model, str) else model.name
