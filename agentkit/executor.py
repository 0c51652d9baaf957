"""Running a plan: each step starts the moment the steps it needs have finished.

There are no lockstep rounds: when any step ends, every step whose dependencies are
now all done is dispatched at once, so a slow branch never delays an unrelated one.
Concurrency is bounded overall and per tool. A step that fails (or whose references
cannot be resolved) marks everything downstream of it as skipped, with the reason;
the failure is information for the answer stage, never a crash.

Durability: each finished call is remembered in the run store under a key made of the
step id, the tool and the resolved arguments. Executing the same plan again under the
same run (a resume after a crash) takes those results from the store instead of
calling the tools again, so no finished tool call ever runs twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from agentkit.calls import acall_tool
from agentkit.plan import Plan, PlanReferenceError
from agentkit.store import Run
from agentkit.tools import Tool, ToolResult

StepStatus = Literal["waiting", "running", "done", "failed", "skipped"]
OnStatus = Callable[[str, StepStatus], None]


@dataclass
class StepOutcome:
    """How one step ended."""

    id: str
    tool: str
    status: StepStatus
    args: dict[str, Any] | None = None
    result: ToolResult | None = None
    reason: str | None = None
    elapsed: float = 0.0
    reused: bool = False  # taken from the store on a resume, not executed again

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tool": self.tool,
            "status": self.status,
            "args": self.args,
            "result": self.result.to_dict() if self.result else None,
            "reason": self.reason,
            "elapsed": self.elapsed,
            "reused": self.reused,
        }


@dataclass
class Limits:
    """Concurrency and time bounds for one execution."""

    max_concurrency: int = 16
    per_tool: Mapping[str, int] = field(default_factory=dict)  # tool name -> at most at once
    step_timeout: float | None = None  # seconds; None: the tool's own timeout


class Executor:
    """Runs plans against a set of tools."""

    def __init__(
        self,
        tools: Mapping[str, Tool],
        *,
        limits: Limits | None = None,
        run: Run | None = None,
        on_status: OnStatus | None = None,
    ) -> None:
        self.tools = tools
        self.limits = limits or Limits()
        self.run = run
        self.on_status = on_status
        self._overall = asyncio.Semaphore(self.limits.max_concurrency)
        self._per_tool = {name: asyncio.Semaphore(n) for name, n in self.limits.per_tool.items()}

    async def execute(self, plan: Plan) -> dict[str, StepOutcome]:
        """Run every step of ``plan``; outcomes in the plan's order."""
        outcomes: dict[str, StepOutcome] = {}
        waiting = set(plan.steps)
        running: dict[asyncio.Task[StepOutcome], str] = {}
        for step_id in plan.order():
            self._status(step_id, "waiting")
        try:
            while waiting or running:
                for step_id in self._ready(plan, waiting, outcomes):
                    waiting.discard(step_id)
                    running[asyncio.ensure_future(self._step(plan, step_id, outcomes))] = step_id
                if not running:
                    break
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    outcome = task.result()
                    outcomes[running.pop(task)] = outcome
                    if outcome.status == "failed":
                        self._skip_downstream(plan, outcome, waiting, outcomes)
        finally:
            for task in running:
                task.cancel()
        return {step_id: outcomes[step_id] for step_id in plan.order()}

    def _ready(
        self, plan: Plan, waiting: set[str], outcomes: Mapping[str, StepOutcome]
    ) -> list[str]:
        return [
            step_id
            for step_id in plan.order()
            if step_id in waiting
            and all(outcomes.get(need, _PENDING).status == "done" for need in plan.needs(step_id))
        ]

    def _skip_downstream(
        self,
        plan: Plan,
        failed: StepOutcome,
        waiting: set[str],
        outcomes: dict[str, StepOutcome],
    ) -> None:
        for step_id in plan.downstream(failed.id) & waiting:
            waiting.discard(step_id)
            reason = f"skipped because step '{failed.id}' failed: {failed.reason}"
            outcomes[step_id] = StepOutcome(
                step_id, plan.steps[step_id].tool, "skipped", reason=reason
            )
            self._status(step_id, "skipped")

    async def _step(
        self, plan: Plan, step_id: str, outcomes: Mapping[str, StepOutcome]
    ) -> StepOutcome:
        step = plan.steps[step_id]
        started = time.perf_counter()
        inputs = {need: outcomes[need].result.output for need in plan.needs(step_id)}  # type: ignore[union-attr]
        try:
            args = plan.resolve_args(step_id, inputs)
        except PlanReferenceError as exc:
            self._status(step_id, "failed")
            return StepOutcome(step_id, step.tool, "failed", reason=str(exc))
        key = _call_key(step_id, step.tool, args)
        # Store calls go to a thread: a blocking SQLite write on the event loop deadlocks
        # with an async checkpointer whose open transaction needs the loop to commit.
        run = self.run
        remembered = await asyncio.to_thread(run.remembered, key) if run is not None else None
        if remembered is not None:
            result, reused = ToolResult.model_validate(remembered), True
        else:
            self._status(step_id, "running")
            result, reused = await self._call(step.tool, args), False
            if run is not None:
                await asyncio.to_thread(run.remember, key, result.to_dict())
        status: StepStatus = "done" if result.ok else "failed"
        self._status(step_id, status)
        return StepOutcome(
            step_id,
            step.tool,
            status,
            args=args,
            result=result,
            reason=None if result.ok else result.error,
            elapsed=time.perf_counter() - started,
            reused=reused,
        )

    async def _call(self, tool_name: str, args: dict[str, Any]) -> ToolResult:
        tool_limit = self._per_tool.get(tool_name) or contextlib.nullcontext()
        async with self._overall, tool_limit:
            return await acall_tool(
                self.tools[tool_name], args, timeout=self.limits.step_timeout, run=self.run
            )

    def _status(self, step_id: str, status: StepStatus) -> None:
        if self.on_status is not None:
            self.on_status(step_id, status)


_PENDING = StepOutcome("", "", "waiting")


def _call_key(step_id: str, tool: str, args: dict[str, Any]) -> str:
    canonical = json.dumps([step_id, tool, args], sort_keys=True, ensure_ascii=False, default=repr)
    return "step:" + hashlib.sha256(canonical.encode()).hexdigest()
