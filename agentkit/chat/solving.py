"""``/solve``: the planner graph run inside a chat turn, its progress posted as events.

Imported only when ``/solve`` first runs: the planner pulls in LangGraph, which takes
a couple of seconds to import and which a plain chat never needs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from agentkit.chat.turn import (
    PlanStarted,
    Rejected,
    Status,
    StepChanged,
    StepsEnded,
    Turn,
    TurnCancelled,
)
from agentkit.executor import StepStatus
from agentkit.graph import Budgets, Solver, SolveWatcher, run_solver
from agentkit.models.base import Model
from agentkit.plan import Plan
from agentkit.store import Store
from agentkit.tools import Tool
from agentkit.verify import Verdict, overall_status


class TurnWatcher(SolveWatcher):
    """Posts the planner's progress to the turn: phases, the plan, step states, rejections."""

    def __init__(self, turn: Turn, attempts: int) -> None:
        self.turn = turn
        self.attempts = attempts
        self.attempt = 1
        self.answer = ""

    def planning(self, attempt: int) -> None:
        self.attempt = attempt
        self.turn.post(Status("planning" if attempt == 1 else f"planning (attempt {attempt})"))

    def planned(self, plan: Plan) -> None:
        self.turn.post(PlanStarted(plan, self.attempt))

    def step(self, step_id: str, status: StepStatus) -> None:
        self.turn.post(StepChanged(step_id, status))

    def executed(self, outcomes: Mapping[str, Mapping[str, Any]]) -> None:
        self.turn.post(StepsEnded(outcomes))

    def answering(self) -> None:
        self.turn.post(Status("answering from the results"))

    def verifying(self, answer: str) -> None:
        self.answer = answer
        self.turn.post(Status("verifying the answer"))

    def verified(self, verdicts: list[Verdict]) -> None:
        # The graph goes back to planning exactly when an answer fails with attempts left.
        if overall_status(verdicts) == "failed" and self.attempt < self.attempts:
            self.turn.post(Rejected(self.answer, list(verdicts), self.attempt, "replanning"))


def run_planner(
    model: Model,
    tools: Mapping[str, Tool],
    problem: str,
    turn: Turn,
    *,
    store: Store,
    meta: dict[str, Any],
    budgets: Budgets | None = None,
) -> dict[str, Any]:
    """Run the planner graph on ``problem`` as a ``solve`` run of its own; its result.

    Cancelling the turn cancels the graph's task, which cancels the tool calls in
    flight; the solve run is then marked ``cancelled`` (``agentkit runs resume`` can
    still continue it).
    """
    budgets = budgets or Budgets()
    run = store.start_run(
        "solve", "solve", input={"problem": problem}, meta={**meta, "budgets": vars(budgets)}
    )
    solver = Solver(
        model, tools, budgets=budgets, run=run, watcher=TurnWatcher(turn, budgets.attempts)
    )

    async def main() -> dict[str, Any]:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None

        def cancel() -> None:
            with contextlib.suppress(RuntimeError):  # the loop may have closed already
                loop.call_soon_threadsafe(task.cancel)

        forget = turn.on_cancel(cancel)
        try:
            return await run_solver(solver, Solver.initial_state(problem))
        finally:
            forget()

    try:
        return asyncio.run(main())
    except (asyncio.CancelledError, TurnCancelled):
        run.finish("cancelled", error="cancelled in agentkit chat")
        raise TurnCancelled() from None
    except Exception as exc:
        run.finish("failed", error=f"{type(exc).__name__}: {exc}")
        raise
