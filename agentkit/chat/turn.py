"""One turn of a chat: work in a worker thread, drawing and Ctrl-C on the main thread.

The terminal belongs to the main thread. The work of a turn (model calls, tool calls,
the planner) runs in a worker thread and never draws anything: it posts events to the
turn's queue, and :func:`drive` hands them to the screen one at a time, on the main
thread, which is also where approvals are asked and where Ctrl-C lands.

Cancelling a turn sets a flag that the turn's callbacks check, so the work stops at
its next step (the next streamed token, tool call or model call), and cancels every
tool call in flight: the kernel interrupts its cell and keeps its variables. A model
call blocked on the network cannot be interrupted from outside; the turn is then
abandoned and the thread finishes on its own, with nothing it does reaching the
conversation.
"""

from __future__ import annotations

import contextlib
import contextvars
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agentkit.models.base import ToolCallRequest
from agentkit.tools import ToolResult
from agentkit.verify import Verdict

if TYPE_CHECKING:  # the planner (LangGraph) is imported only when /solve first runs
    from agentkit.executor import StepStatus
    from agentkit.plan import Plan

Decision = Literal["yes", "no", "always"]

# Ctrl-C, then this long for the work to wind down (a kernel interrupt takes a few
# seconds at worst) before the turn is abandoned; with nothing in flight to clean up
# (only a model call, which cannot be interrupted), the short grace.
CANCEL_GRACE_SECONDS = 8.0
SHORT_GRACE_SECONDS = 0.5
POLL_SECONDS = 0.05


class TurnCancelled(Exception):
    """The user cancelled the turn (Ctrl-C); raised inside the work to stop it."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


# -- events a turn posts ------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """What the turn is doing now, while nothing else shows it ("thinking")."""

    text: str


@dataclass(frozen=True)
class TextDelta:
    """A piece of the model's answer, as it streams."""

    text: str


@dataclass(frozen=True)
class ToolStarted:
    call_id: str
    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class ToolFinished:
    call_id: str
    name: str
    arguments: Mapping[str, Any]
    result: ToolResult


@dataclass(frozen=True)
class PlanStarted:
    plan: Plan
    attempt: int


@dataclass(frozen=True)
class StepChanged:
    step_id: str
    status: StepStatus


@dataclass(frozen=True)
class StepsEnded:
    outcomes: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Rejected:
    """Verifiers rejected an answer and another attempt follows (a replan, a correction)."""

    answer: str
    verdicts: list[Verdict]
    attempt: int
    next: str  # what happens now, e.g. "replanning"


@dataclass
class ApprovalRequest:
    """A tool with side effects wants to run; the main thread answers with :meth:`decide`."""

    tool: str
    arguments: Mapping[str, Any]
    _decided: threading.Event = field(default_factory=threading.Event, repr=False)
    decision: Decision = "no"

    def decide(self, decision: Decision) -> None:
        self.decision = decision
        self._decided.set()


@dataclass(frozen=True)
class Ended:
    """The last event of a turn: its result, or why it has none."""

    result: Any = None
    error: BaseException | None = None
    cancelled: bool = False
    abandoned: bool = False  # the work did not stop in time; it ends in the background


@dataclass(frozen=True)
class Cancelling:
    """Posted by :func:`drive` (not the work) when Ctrl-C cancels the turn."""


Event = (
    Status
    | TextDelta
    | ToolStarted
    | ToolFinished
    | PlanStarted
    | StepChanged
    | StepsEnded
    | Rejected
    | ApprovalRequest
    | Cancelling
)

current_turn: contextvars.ContextVar[Turn | None] = contextvars.ContextVar(
    "agentkit_chat_turn", default=None
)


class Turn:
    """The cancel flag, the event queue and the in-flight cancellers of one turn."""

    def __init__(
        self, kind: str = "chat", *, default_session: str | None = None, preapproved: bool = False
    ) -> None:
        self.kind = kind
        # Tools that keep state by ``session`` get this one when the model names none.
        self.default_session = default_session
        # Calls the user approved before (re-running a resumed chat's cells) ask nothing.
        self.preapproved = preapproved
        self.events: queue.Queue[Event | Ended] = queue.Queue()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._cancellers: dict[int, Callable[[], Any]] = {}
        self._next_key = 0

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def post(self, event: Event | Ended) -> None:
        self.events.put(event)

    def check(self) -> None:
        """Raise :class:`TurnCancelled` if the turn was cancelled."""
        if self.cancelled:
            raise TurnCancelled()

    def on_cancel(self, callback: Callable[[], Any]) -> Callable[[], None]:
        """Run ``callback`` when the turn is cancelled (at once if it already was).

        Returns a function that forgets the callback (call it when the thing it would
        cancel has ended).
        """
        with self._lock:
            if not self.cancelled:
                key, self._next_key = self._next_key, self._next_key + 1
                self._cancellers[key] = callback
                return lambda: self._forget(key)
        callback()
        return lambda: None

    def _forget(self, key: int) -> None:
        with self._lock:
            self._cancellers.pop(key, None)

    def cancel(self) -> int:
        """Cancel the turn and what it has in flight; how many cancellers were called."""
        with self._lock:
            self._cancelled.set()
            callbacks, self._cancellers = list(self._cancellers.values()), {}
        for callback in callbacks:
            # A canceller may race the end of its call; then there is nothing to undo.
            with contextlib.suppress(Exception):
                callback()
        return len(callbacks)

    # -- callbacks for the tool-calling loop (they double as cancellation points) --------

    def delta(self, text: str) -> None:
        self.check()
        self.post(TextDelta(text))

    def tool_started(self, request: ToolCallRequest) -> None:
        self.check()
        self.post(ToolStarted(request.id, request.name, dict(request.arguments or {})))

    def tool_finished(self, request: ToolCallRequest, result: ToolResult) -> None:
        self.post(ToolFinished(request.id, request.name, dict(request.arguments or {}), result))
        self.check()

    def ask(self, request: ApprovalRequest) -> Decision:
        """Post an approval request and wait for the answer; a cancelled turn says no."""
        self.post(request)
        while not request._decided.wait(POLL_SECONDS):
            if self.cancelled:
                return "no"
        return request.decision

    # -- running the work ------------------------------------------------------------------

    def start(self, work: Callable[[Turn], Any]) -> None:
        """Run ``work(self)`` in a daemon thread; its end is posted as :class:`Ended`."""

        def body() -> None:
            current_turn.set(self)
            try:
                result = work(self)
            except TurnCancelled:
                self.post(Ended(cancelled=True))
            except BaseException as exc:
                self.post(Ended(cancelled=True) if self.cancelled else Ended(error=exc))
            else:
                self.post(Ended(result=result))

        threading.Thread(target=body, name=f"agentkit-chat-{self.kind}", daemon=True).start()


def drive(
    turn: Turn,
    handle: Callable[[Event], None],
    *,
    grace: float = CANCEL_GRACE_SECONDS,
) -> Ended:
    """Hand the turn's events to ``handle`` on this thread until the turn ends.

    The first Ctrl-C cancels the turn (``handle`` gets :class:`Cancelling`) and waits
    up to ``grace`` seconds for the work to stop, or a moment when nothing but a model
    call was in flight; a second Ctrl-C, or the grace running out, abandons it. Ctrl-C
    is caught only while this runs.
    """
    interrupts = _Interrupts()
    with interrupts.caught():
        deadline: float | None = None
        wait = grace
        while True:
            if interrupts.count and not turn.cancelled:
                wait = grace if turn.cancel() else min(grace, SHORT_GRACE_SECONDS)
                handle(Cancelling())
            if turn.cancelled and deadline is None:  # by Ctrl-C, or from ``handle``
                deadline = time.monotonic() + wait
            if interrupts.count >= 2 or (deadline is not None and time.monotonic() > deadline):
                return Ended(cancelled=True, abandoned=True)
            try:
                event = turn.events.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if isinstance(event, Ended):
                return event
            if turn.cancelled and isinstance(event, ApprovalRequest):
                event.decide("no")
                continue
            handle(event)


class _Interrupts:
    """Counts SIGINTs instead of raising KeyboardInterrupt at an arbitrary line.

    The handler only increments a counter: anything more (taking a lock, putting on a
    queue) could deadlock with the code it interrupted on the same thread.
    """

    def __init__(self) -> None:
        self.count = 0

    def _handler(self, signum: int, frame: Any) -> None:
        self.count += 1

    @contextmanager
    def caught(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread gets signals (and may set handlers)
            return
        previous = signal.signal(signal.SIGINT, self._handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
