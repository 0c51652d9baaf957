"""The state of one conversation, and the work of its turns, with no terminal in it.

A :class:`ChatSession` holds the model, the tools, the messages and the run that
records them. The work methods (:meth:`~ChatSession.chat`, :meth:`~ChatSession.solve`,
:meth:`~ChatSession.verify`, :meth:`~ChatSession.recreate_sessions`) run in a turn's
worker thread and report only through the turn's events. Their result is a
:class:`TurnOutcome`, which the main thread then commits (:meth:`~ChatSession.commit`).
A turn that was cancelled is never committed, so the conversation holds whole turns.

The conversation is a run of kind ``chat`` in the run store, started with the first
turn: every model call, tool call and verdict is an event of it, each finished turn a
``chat_turn`` event, and its output is the conversation so far (messages, model,
tools, the kernel session, the last answer). ``agentkit chat --resume ID`` reads that
back and re-creates the kernel session (see :meth:`~ChatSession.recreate_sessions`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from agentkit.agent import LoopResult, run_tool_loop
from agentkit.calls import end_session
from agentkit.chat.gate import Approvals, takes_session
from agentkit.chat.outcome import Check, Restored, TurnOutcome
from agentkit.chat.turn import Rejected, Status, Turn
from agentkit.errors import AgentkitError
from agentkit.models import get_model
from agentkit.models.base import Message, Model, Usage
from agentkit.store import Run, Store
from agentkit.tools import Tool
from agentkit.verify import (
    Verdict,
    applicable,
    feedback_text,
    overall_status,
    registered_verifiers,
    verify_all,
)

SYSTEM_PROMPT = (
    "You are the assistant of agentkit chat, a conversation in a terminal. Use the tools "
    "when they help: compute, check and look things up instead of guessing. Answer in "
    "Markdown, briefly unless asked for detail."
)
SESSION_NOTE = (
    " Code you run with the '{tool}' tool keeps its variables and imports for the rest "
    "of this conversation."
)
MAX_MODEL_CALLS = 20  # per chat turn: the model calls tools at most this many times
VERIFY_ATTEMPTS = 3  # a rejected answer goes back to the model at most twice


class ChatSession:
    """One conversation: model, tools, messages and the run that records them."""

    def __init__(
        self,
        model: Model,
        tools: Mapping[str, Tool],
        *,
        store: Store,
        model_name: str | None = None,
        approvals: Approvals | None = None,
        messages: list[Message] | None = None,
        run: Run | None = None,
        last: dict[str, Any] | None = None,
        usage: Usage | None = None,
    ) -> None:
        self.model = model
        self.model_name = model_name or model.name
        self.tools = dict(tools)
        self.store = store
        self.approvals = approvals or Approvals()
        self.messages = messages or [{"role": "system", "content": self._system_prompt()}]
        self.run = run
        self.last = last  # the last answer: kind, question, answer, solve_run
        self.usage = usage or Usage()

    # -- creating and resuming -----------------------------------------------------------

    @classmethod
    def new(
        cls,
        model_name: str | None,
        tool_names: tuple[str, ...] = (),
        *,
        approvals: Approvals | None = None,
        store: Store | None = None,
    ) -> ChatSession:
        """A new conversation; raises :class:`ConfigError` when no model is configured."""
        model = get_model(model_name)
        return cls(
            model,
            choose_tools(tool_names),
            store=store or Store(),
            model_name=model_name or model.name,
            approvals=approvals,
        )

    @classmethod
    def resume(
        cls,
        run_id: str,
        model_name: str | None = None,
        tool_names: tuple[str, ...] = (),
        *,
        approvals: Approvals | None = None,
        store: Store | None = None,
    ) -> ChatSession:
        """The conversation of chat run ``run_id``; ``model_name``/``tool_names`` override."""
        store = store or Store()
        row = store.get_run(run_id)
        if row is None:
            raise AgentkitError(f"no run '{run_id}' (see: agentkit runs list)")
        if row["kind"] != "chat":
            raise AgentkitError(
                f"run {run_id} is a '{row['kind']}' run, not a chat; "
                "resume it with: agentkit runs resume " + run_id
            )
        saved = row["output"] if isinstance(row["output"], dict) else {}
        name = model_name or saved.get("model") or (row["meta"] or {}).get("model")
        model = get_model(name)
        if tool_names or saved.get("tools") is None:
            tools = choose_tools(tool_names)
        else:  # the chat's own tools, less any whose plugin has gone since
            saved_tools = tuple(saved["tools"])
            tools = choose_tools(saved_tools, missing_ok=True) if saved_tools else {}
        session = cls(
            model,
            tools,
            store=store,
            model_name=name or model.name,
            approvals=approvals,
            messages=list(saved.get("messages") or []) or None,
            run=store.run(run_id),
            last=saved.get("last"),
            usage=Usage(**(saved.get("usage") or {})),
        )
        session.save(status="running")
        return session

    def _system_prompt(self) -> str:
        stateful = sorted(name for name, tool in self.tools.items() if takes_session(tool))
        notes = "".join(SESSION_NOTE.format(tool=name) for name in stateful)
        return SYSTEM_PROMPT + notes

    # -- the run ---------------------------------------------------------------------------

    @property
    def kernel_session(self) -> str | None:
        """The session name stateful tools get in this conversation (once it has a run)."""
        return f"chat-{self.run.id}" if self.run is not None else None

    def new_turn(self, kind: str, text: str) -> Turn:
        """A turn for ``text``; the first one starts the conversation's run."""
        if self.run is None:
            meta = {"model": self.model_name, "tools": sorted(self.tools)}
            self.run = self.store.start_run("chat", "chat", input=text, meta=meta)
        return Turn(kind, default_session=self.kernel_session if kind != "solve" else None)

    def snapshot(self) -> dict[str, Any]:
        """The run's output: everything ``--resume`` needs."""
        return {
            "messages": self.messages,
            "model": self.model_name,
            "tools": sorted(self.tools),
            "kernel_session": self.kernel_session,
            "last": self.last,
            "usage": self.usage.model_dump(),
        }

    def save(self, status: str = "running") -> None:
        if self.run is not None:
            self.run.finish(status, output=self.snapshot())

    def commit(self, outcome: TurnOutcome) -> None:
        """Make a finished turn part of the conversation, and record it."""
        self.messages = outcome.messages
        self.usage = self.usage + outcome.usage
        if outcome.answer is not None:
            self.last = {
                "kind": outcome.kind,
                "question": outcome.question,
                "answer": outcome.answer,
                "solve_run": (outcome.solve or {}).get("run_id")
                or (self.last or {}).get("solve_run"),
            }
        if self.run is not None:
            self.run.record(
                "chat_turn",
                outcome.kind,
                started=time.time() - outcome.elapsed,
                elapsed=outcome.elapsed,
                ok=outcome.answer is not None,
                payload={
                    "input": outcome.question,
                    "answer": outcome.answer,
                    "verified": outcome.verified,
                    "unverified_reason": outcome.unverified_reason,
                    "verdicts": [v.model_dump(mode="json") for v in outcome.verdicts],
                    "solve_run": (outcome.solve or {}).get("run_id"),
                },
            )
        self.save()

    def set_model(self, name: str) -> None:
        self.model = get_model(name)
        self.model_name = name
        self.save()

    def reset(self) -> None:
        """Start over: a new run (the old one can still be resumed), a new kernel session.

        The old session's kernels are shut down now rather than left to the idle reaper;
        ``--resume`` of the old run re-creates them from its recorded cells.
        """
        self.save(status="done")
        self.end_sessions()
        self.run = None
        self.messages = [{"role": "system", "content": self._system_prompt()}]
        self.last = None
        self.usage = Usage()

    def close(self) -> None:
        self.save(status="done")
        self.end_sessions()

    def end_sessions(self) -> None:
        """Free what the stateful tools keep under this conversation's session."""
        session = self.kernel_session
        if session is None:
            return
        for tool in self.tools.values():
            if takes_session(tool):
                end_session(tool, session)

    def last_solve(self) -> dict[str, Any] | None:
        """The result of the latest /solve of this conversation (plan, steps, verdicts)."""
        run_id = (self.last or {}).get("solve_run")
        row = self.store.get_run(run_id) if run_id else None
        if row is None or not isinstance(row["output"], dict):
            return None
        return {**row["output"], "run_id": run_id}

    # -- work (in a turn's worker thread) --------------------------------------------------

    def chat(self, text: str, turn: Turn) -> TurnOutcome:
        """The tool-calling loop over the session's tools, then the verifiers."""
        started = time.perf_counter()
        messages = [*self.messages, {"role": "user", "content": text}]
        turn.post(Status("thinking"))
        loop = self._loop(messages, turn)
        answer = loop.answer if loop.stopped == "answered" else None
        verdicts = self._judge(answer, Check.plain(text), turn) if answer else []
        return TurnOutcome(
            "chat",
            text,
            answer,
            loop.messages,
            verdicts=verdicts,
            usage=loop.usage,
            stopped=None if answer else _why_no_answer(loop.stopped, loop.turns),
            elapsed=time.perf_counter() - started,
        )

    def solve(self, problem: str, turn: Turn) -> TurnOutcome:
        """The planner graph (plan, execute, answer, verify), drawn live through the turn."""
        from agentkit.chat.solving import run_planner

        started = time.perf_counter()
        meta = {"model": self.model_name, "tools": sorted(self.tools)}
        if self.run is not None:
            meta["chat"] = self.run.id
        result = run_planner(self.model, self.tools, problem, turn, store=self.store, meta=meta)
        answer = result.get("answer")
        messages = [*self.messages, {"role": "user", "content": problem}]
        if answer is not None:
            messages.append({"role": "assistant", "content": str(answer)})
        usage = result.get("usage") or {}
        return TurnOutcome(
            "solve",
            problem,
            None if answer is None else str(answer),
            messages if answer is not None else list(self.messages),
            streamed=False,
            verdicts=[Verdict(**v) for v in result.get("verdicts") or []],
            usage=Usage(**{k: usage.get(k, 0) for k in ("prompt_tokens", "completion_tokens")}),
            stopped=None if answer is not None else result.get("unverified_reason"),
            solve=result,
            elapsed=time.perf_counter() - started,
        )

    def verify(self, check: Check, turn: Turn, attempts: int = VERIFY_ATTEMPTS) -> TurnOutcome:
        """Judge the last answer; a rejection goes back to the model, which may correct it."""
        if attempts < 1:
            raise ValueError(f"verify() needs at least one attempt, not {attempts}")
        started = time.perf_counter()
        last = self.last or {}
        answer = str(last.get("answer") or "")
        messages, usage = list(self.messages), Usage()
        for attempt in range(1, attempts + 1):
            verdicts = self._judge(answer, check, turn)
            if overall_status(verdicts) != "failed" or attempt == attempts:
                break
            note = f"{feedback_text(verdicts)}\n\nCorrect your answer."
            turn.post(Rejected(answer, verdicts, attempt, "asking the model to correct it"))
            messages.append({"role": "user", "content": note})
            turn.post(Status("correcting"))
            loop = self._loop(messages, turn)
            messages, usage = loop.messages, usage + loop.usage
            answer = loop.answer or ""
        return TurnOutcome(
            "verify",
            str(last.get("question") or ""),
            answer,
            messages,
            streamed=True,  # shown before, or streamed as the model corrected it
            verdicts=verdicts,
            usage=usage,
            elapsed=time.perf_counter() - started,
        )

    def _loop(self, messages: list[Message], turn: Turn) -> LoopResult:
        """The tool-calling loop, its text, tool calls and cancellation through ``turn``."""
        return run_tool_loop(
            self.model,
            messages,
            list(self.tools.values()),
            max_turns=MAX_MODEL_CALLS,
            run=self.run,
            on_delta=turn.delta,
            on_tool_start=turn.tool_started,
            on_tool_end=turn.tool_finished,
        )

    def _judge(self, answer: str | None, check: Check, turn: Turn) -> list[Verdict]:
        if answer is None:
            return []
        candidate = check.candidate(answer)
        verifiers = applicable(registered_verifiers(), candidate, check.problem)
        if not verifiers:
            return []
        turn.check()
        turn.post(Status("verifying the answer"))
        return verify_all(candidate, check.problem, verifiers, run=self.run)

    def recorded_cells(self) -> list[tuple[Tool, dict[str, Any]]]:
        """The calls of stateful tools that ran to completion in this conversation, in order.

        Only those: a cell that raised, timed out or was cancelled is left out, since
        running it again would raise again or hang again, and what it did before it
        stopped is not something the conversation could rely on.
        """
        if self.run is None:
            return []
        cells = []
        for event in self.store.events(self.run.id):
            tool = self.tools.get(event["name"])
            if event["type"] != "tool_call" or not event["ok"] or tool is None:
                continue
            arguments = (event["payload"] or {}).get("arguments") or {}
            if takes_session(tool) and arguments.get("session"):
                cells.append((tool, arguments))
        return cells

    def recreate_sessions(self, turn: Turn) -> Restored:
        """Run the recorded cells again in fresh kernels, so the variables exist again.

        A kernel's state cannot be saved (open files, threads, C objects), so it is
        rebuilt the way a notebook is: by running its cells again, in order. The calls
        are not recorded again, so a later resume replays each cell once.
        """
        from agentkit.calls import call_tool

        cells = self.recorded_cells()
        failed: list[str] = []
        for index, (tool, arguments) in enumerate(cells, 1):
            turn.check()
            turn.post(Status(f"re-creating the {tool.name} session: cell {index} of {len(cells)}"))
            result = call_tool(tool, dict(arguments), run=None)
            if not result.ok:
                failed.append(f"cell {index}: {result.error}")
        sessions = sorted({str(arguments["session"]) for _, arguments in cells})
        return Restored(sessions, len(cells), failed)


def choose_tools(names: tuple[str, ...], *, missing_ok: bool = False) -> dict[str, Tool]:
    """The registered tools called ``names`` (all of them when none are named).

    An unknown name is an error with a suggestion; with ``missing_ok`` (a resumed chat
    whose plugin has since gone) it is left out instead.
    """
    import warnings

    from agentkit.registry import get_tools

    registry = get_tools()
    if not names:
        return {name: registry.get(name) for name in registry.names()}
    chosen = {}
    for name in names:
        if name in registry:
            chosen[name] = registry.get(name)
        elif missing_ok:
            warnings.warn(f"tool '{name}' of this chat is no longer installed", stacklevel=2)
        else:
            registry.get(name)  # raises, with a did-you-mean
    return chosen


def _why_no_answer(stopped: str, turns: int) -> str:
    if stopped == "max_turns":
        return f"the model called tools {turns} times without answering; ask again to go on"
    return "the model gave no answer"
