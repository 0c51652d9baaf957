"""The planner graph behind ``agentkit solve``: plan, execute, answer, verify, repeat.

A LangGraph ``StateGraph`` whose state is plain JSON (no pickle: the checkpointer
runs LangGraph's serializer in strict msgpack mode) and is checkpointed after every
node in the run store, under the run's id as the thread id. A run killed midway is
continued by invoking the graph again on the same thread; the node that was cut short
runs again, and the executor takes every tool call that had finished from the store.

::

    plan --> execute --> answer --> verify --> finish
     ^                    |  |        |
     +---- replan --------+  |        +-- failed, attempts left: back to plan
                             +-- budget spent: finish with the best answer so far

An answer is ``verified`` only when at least one verifier passed it and none failed it.
When the attempts run out, the best answer is returned and marked unverified.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph

from agentkit.calls import acall_model
from agentkit.executor import Executor, Limits, StepStatus
from agentkit.models.base import Message, Model, ModelResponse, tool_message
from agentkit.plan import Plan, PlanError
from agentkit.planner import (
    FINAL_ANSWER,
    MAKE_PLAN,
    REPLAN,
    Reading,
    answering_messages,
    planning_messages,
    read_answer,
    read_plan,
    results_message,
)
from agentkit.store import Run
from agentkit.tools import Tool
from agentkit.verify import (
    Attempt,
    Verdict,
    Verifier,
    best_attempt,
    feedback_text,
    overall_status,
    verify_all,
)


@dataclass(frozen=True)
class Budgets:
    """When a run must stop, whatever the model says."""

    attempts: int = 3  # answers judged by the verifiers
    plan_retries: int = 3  # invalid plans in a row before giving up
    model_calls: int = 20
    tokens: int = 500_000  # prompt + completion
    seconds: float = 600.0


class SolveWatcher:
    """Follows a run as it goes, for a live display (``agentkit chat`` draws the plan).

    Every method does nothing here; a watcher overrides the ones it needs. They are
    called on the solver's event loop, so they must return at once and never raise:
    post to a queue and draw elsewhere. A resumed run calls them only for the nodes
    that run again.
    """

    def planning(self, attempt: int) -> None:
        """The model is asked for a plan; ``attempt`` counts judged answers, from 1."""

    def planned(self, plan: Plan) -> None:
        """A valid plan is about to run."""

    def step(self, step_id: str, status: StepStatus) -> None:
        """A step of the running plan changed state."""

    def executed(self, outcomes: Mapping[str, Mapping[str, Any]]) -> None:
        """Every step has ended; each outcome as in ``StepOutcome.to_dict``."""

    def answering(self) -> None:
        """The model is asked for the answer from the results."""

    def verifying(self, answer: str) -> None:
        """The verifiers are about to judge ``answer``."""

    def verified(self, verdicts: list[Verdict]) -> None:
        """The verifiers have judged the latest answer."""


class SolveState(TypedDict, total=False):
    problem: str
    messages: list[Message]  # the planning conversation
    answering: list[Message]  # the answering conversation of the latest execution
    plan: dict[str, Any] | None
    outcomes: dict[str, dict[str, Any]]
    answer: str | None
    verdicts: list[dict[str, Any]]
    attempts: int
    plan_retries: int
    model_calls: int
    usage: dict[str, int]
    started: float
    best: dict[str, Any] | None  # the best judged answer so far, with its score
    route: str
    stopped: str | None  # why the run ended early, if it did
    history: list[dict[str, Any]]  # one entry per attempt: plan, answer, verdicts


class Solver:
    """Builds and runs the planner graph for one model, tool set and verifier set."""

    def __init__(
        self,
        model: Model,
        tools: Mapping[str, Tool],
        *,
        verifiers: list[Verifier] | None = None,
        budgets: Budgets | None = None,
        limits: Limits | None = None,
        run: Run | None = None,
        watcher: SolveWatcher | None = None,
    ) -> None:
        self.model = model
        self.tools = dict(tools)
        self.verifiers = verifiers
        self.budgets = budgets or Budgets()
        self.limits = limits or Limits()
        self.run = run
        self.watcher = watcher or SolveWatcher()

    def graph(self, checkpointer: Any = None) -> Any:
        graph = StateGraph(SolveState)
        for name in ("plan", "execute", "answer", "verify", "finish"):
            graph.add_node(name, getattr(self, f"_{name}"))
        graph.add_edge(START, "plan")
        for name in ("plan", "execute", "answer", "verify"):
            graph.add_conditional_edges(name, _route)
        graph.add_edge("finish", END)
        return graph.compile(checkpointer=checkpointer)

    @staticmethod
    def initial_state(problem: str) -> SolveState:
        return SolveState(
            problem=problem,
            messages=[],
            answering=[],
            plan=None,
            outcomes={},
            answer=None,
            verdicts=[],
            attempts=0,
            plan_retries=0,
            model_calls=0,
            usage={"prompt_tokens": 0, "completion_tokens": 0},
            started=time.time(),
            best=None,
            stopped=None,
            history=[],
        )

    # -- nodes ---------------------------------------------------------------------------

    async def _plan(self, state: SolveState) -> SolveState:
        self.watcher.planning(state["attempts"] + 1)
        messages = state["messages"] or planning_messages(state["problem"], self.tools)
        response, update = await self._ask(state, messages, [MAKE_PLAN])
        if response is None:
            return update
        messages = update["messages"]  # now ending with the model's own turn
        reading = read_plan(response)
        problem = reading.error
        if reading.kind == "plan":
            try:
                plan = Plan.parse(reading.value, self.tools)
            except PlanError as exc:
                problem = str(exc)
            else:
                messages = _acknowledge(messages, response, reading, "plan accepted; running it")
                return {**update, "messages": messages, "plan": plan.to_json(), "route": "execute"}
        retries = state["plan_retries"] + 1
        messages = _acknowledge(messages, response, reading, f"{problem}. Send a corrected plan.")
        if retries >= self.budgets.plan_retries:
            stopped = f"no valid plan after {retries} tries; last problem: {problem}"
            return {**update, "messages": messages, "plan_retries": retries, **_stop(stopped)}
        return {**update, "messages": messages, "plan_retries": retries, "route": "plan"}

    async def _execute(self, state: SolveState) -> SolveState:
        plan = Plan.parse(state["plan"] or {}, self.tools)
        self.watcher.planned(plan)
        executor = Executor(
            self.tools, limits=self.limits, run=self.run, on_status=self.watcher.step
        )
        outcomes = await executor.execute(plan)
        found = {step_id: outcome.to_dict() for step_id, outcome in outcomes.items()}
        self.watcher.executed(found)
        # The answer is asked for in a conversation of its own (ReWOO's "solver"): the
        # problem and the results only, not the planner's tool catalogue and plan.
        answering = answering_messages(state["problem"], found)
        return {"outcomes": found, "answering": answering, "plan_retries": 0, "route": "answer"}

    async def _answer(self, state: SolveState) -> SolveState:
        self.watcher.answering()
        response, update = await self._ask(state, state["answering"], [FINAL_ANSWER, REPLAN])
        if response is None:
            return update
        answering = update.pop("messages")  # the answering conversation, with the reply
        reading = read_answer(response)
        if reading.kind == "answer":
            answering = _acknowledge(answering, response, reading, "answer received")
            return {**update, "answering": answering, "answer": reading.value, "route": "verify"}
        if reading.kind == "replan":
            note = f"Replanning: {reading.value}. Make a new plan."
            messages = [*state["messages"], results_message(state["outcomes"], note)]
            return {**update, "messages": messages, "route": "plan"}
        note = f"{reading.error}. Call final_answer or replan."
        answering = _acknowledge(answering, response, reading, note)
        return {**update, "answering": answering, "route": "answer"}

    async def _verify(self, state: SolveState) -> SolveState:
        answer = state["answer"] or ""
        self.watcher.verifying(answer)
        # In a thread: verifiers may be slow (a counterexample search), and recording a
        # verdict is a blocking store write that must not stall the event loop.
        verdicts = await asyncio.to_thread(
            verify_all, answer, state["problem"], self.verifiers, run=self.run
        )
        self.watcher.verified(verdicts)
        status = overall_status(verdicts)
        attempts = state["attempts"] + 1
        judged = [v.model_dump(mode="json") for v in verdicts]
        history = [*state["history"], {"plan": state["plan"], "answer": answer, "verdicts": judged}]
        update: SolveState = {"verdicts": judged, "attempts": attempts, "history": history}
        update["best"] = _best(history)
        if status != "failed":
            return {**update, "route": "finish"}
        if attempts >= self.budgets.attempts:
            return {**update, **_stop(f"every one of {attempts} attempts was rejected")}
        note = f"The answer was: {answer}\n{feedback_text(verdicts)}\nMake a new plan."
        feedback = results_message(state["outcomes"], note)
        return {**update, "messages": [*state["messages"], feedback], "route": "plan"}

    async def _finish(self, state: SolveState) -> SolveState:
        return {"route": "end"}

    # -- model calls within the budgets --------------------------------------------------

    async def _ask(
        self, state: SolveState, messages: list[Message], tools: list[dict[str, Any]]
    ) -> tuple[ModelResponse | None, SolveState]:
        spent = self._spent(state)
        if spent:
            return None, _stop(spent)
        response = await acall_model(self.model, messages, tools=tools, run=self.run)
        usage = state["usage"]
        update: SolveState = {
            "model_calls": state["model_calls"] + 1,
            "usage": {
                "prompt_tokens": usage["prompt_tokens"] + response.usage.prompt_tokens,
                "completion_tokens": usage["completion_tokens"] + response.usage.completion_tokens,
            },
        }
        return response, {**update, "messages": [*messages, response.message()]}

    def _spent(self, state: SolveState) -> str | None:
        budgets, usage = self.budgets, state["usage"]
        if state["model_calls"] >= budgets.model_calls:
            return f"the budget of {budgets.model_calls} model calls is spent"
        if usage["prompt_tokens"] + usage["completion_tokens"] >= budgets.tokens:
            return f"the budget of {budgets.tokens} tokens is spent"
        if time.time() - state["started"] >= budgets.seconds:
            return f"the time budget of {budgets.seconds:g}s is spent"
        return None


def result_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """What a finished run reports: the answer, whether it was verified, and why not."""
    verdicts = state.get("verdicts") or []
    answer = state.get("answer")
    best = state.get("best")
    if state.get("stopped") and best is not None:
        answer, verdicts = best["answer"], best["verdicts"]
    statuses = {v["status"] for v in verdicts}
    verified = "passed" in statuses and "failed" not in statuses
    reason = None
    if not verified:
        reason = state.get("stopped") or (
            "no verifier applies to this answer" if not verdicts else "no verifier passed it"
        )
    return {
        "answer": answer,
        "verified": verified,
        "unverified_reason": reason,
        "attempts": state.get("attempts", 0),
        "verdicts": verdicts,
        "plan": state.get("plan"),
        "steps": state.get("outcomes", {}),
        "usage": state.get("usage", {}),
        "model_calls": state.get("model_calls", 0),
    }


def _route(state: SolveState) -> str:
    route = state.get("route", "finish")
    return END if route == "end" else route


def _stop(reason: str) -> SolveState:
    return {"stopped": reason, "route": "finish"}


def _acknowledge(
    messages: list[Message], response: ModelResponse, reading: Reading, text: str
) -> list[Message]:
    """Answer every function call of the reply (the API requires it), else add a user note.

    The call the reading came from gets ``text``; any other call is told it was not
    used; a reply without function calls gets ``text`` as a user message.
    """
    if not response.tool_calls:
        return [*messages, {"role": "user", "content": text}]
    answers = [
        tool_message(
            call.id,
            text
            if call.id == reading.call_id or reading.call_id is None
            else f"'{call.name}' was not used: one call per reply counts here",
        )
        for call in response.tool_calls
    ]
    return [*messages, *answers]


def _best(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The attempt to fall back on, ranked by :func:`agentkit.verify.best_attempt`."""
    attempts = [
        Attempt(candidate=h["answer"], verdicts=[Verdict(**v) for v in h["verdicts"]])
        for h in history
    ]
    chosen = history[best_attempt(attempts)]
    return {"answer": chosen["answer"], "verdicts": chosen["verdicts"]}


async def run_solver(solver: Solver, state: SolveState | None) -> dict[str, Any]:
    """Run (``state`` given) or continue (``state`` None) the graph of ``solver.run``.

    The run's id is the checkpoint thread: a second call after a crash continues it.
    The time budget bounds the wall time of this call (a resume gets a fresh one).
    """
    run = solver.run
    if run is None:
        raise ValueError("the solver needs a run to checkpoint into")
    seconds = solver.budgets.seconds
    async with run.store.async_checkpointer() as saver:
        graph = solver.graph(saver)
        limit = 10 * solver.budgets.model_calls + 50  # the budgets stop a run long before
        config = {"configurable": {"thread_id": run.id}, "recursion_limit": limit}
        with run.activate():
            try:
                final = await asyncio.wait_for(graph.ainvoke(state, config), seconds)
            except TimeoutError:
                # Cut short mid-node: report from the last checkpoint, as a spent budget.
                saved = (await graph.aget_state(config)).values
                final = {**saved, **_stop(f"the time budget of {seconds:g}s is spent")}
    result = {**result_of(final), "run_id": run.id}
    run.finish("verified" if result["verified"] else "unverified", output=result)
    return result
