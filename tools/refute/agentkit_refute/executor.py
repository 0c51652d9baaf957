"""Judging inputs: run them in the sandbox and decide pass, fail, invalid or untested.

Sandboxed workers of three kinds, never shared: the *subject* runs the code under
suspicion (the candidate, or the predicate of a witness search); the *oracle* runs the
code that judges it (the reference, the property, the checker, the user's generator,
the validator, a precondition); the *generator* runs a model's input generators, which
are model-written code too and must not reach either of the others. Each worker is a
sandbox of its own: its own uid and pid namespace, so none can see or signal another.

Everything the subject's worker sends is the candidate's word, and is checked here
before it is used: a reply that does not match the protocol (a missing answer, an
unreadable output, a claim that the budget ran out when it did not) is a crash of the
candidate, never an error of the host and never a skipped input. Time is the host's:
every call gets the seconds left of the budget, and a worker that does not answer
within them (and a short grace) is killed and replaced, its inputs left untested.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import time
from typing import Any, Literal

from agentkit.worker import SandboxedWorker, WorkerError, WorkerTimeout
from agentkit_refute.compare import Mode, comparable, notes, same_output, same_text
from agentkit_refute.protocol import GRACE, protocol_problem
from agentkit_refute.targets import RefuteError, Target
from agentkit_refute.values import decode, encode
from agentkit_refute.workers import Side, fresh_workers, retire_unused

Kind = Literal["wrong_output", "crash", "timeout"]
MIN_QUICK_TIMEOUT = 0.25  # a first, short time limit; a timeout is then confirmed at the full one
DESCRIBE_LIMIT = 30.0  # seconds a module may take to load, at most
MIN_REFERENCE_LIMIT = 0.5  # the reference's adapted limit never goes below this
MAX_REFERENCE_HANGS = 2  # inputs the reference hung on at the full limit, before no more tries


@dataclasses.dataclass
class Verdict:
    """What one input showed. ``untested``: it did not run (the budget ran out)."""

    status: Literal["pass", "fail", "invalid", "untested"]
    input: Any = None  # an args tuple, or a stdin text
    kind: Kind | None = None
    expected: str | None = None
    actual: str | None = None
    error: str | None = None


@dataclasses.dataclass
class Oracle:
    """How outputs are judged."""

    mode: Literal["differential", "property", "witness"]
    reference: Target | None = None
    prop: Target | None = None
    checker: Target | None = None
    precondition: Target | None = None
    validator: Target | None = None
    compare: Mode = "exact"
    tolerance: float = 1e-9


class Executor:
    """Runs inputs through the subject and the oracle workers, in batches."""

    def __init__(
        self,
        subject: Target,
        oracle: Oracle,
        *,
        timeout: float,
        user_generator: bool = False,
        names: list[str] | None = None,
        quick: bool = True,
        model_generator: bool = False,
    ) -> None:
        """``user_generator``: the user's generator will run (on the oracle side, so the
        witness mode needs that worker for it too). ``names``: the parameters' names,
        for messages. ``quick=False``: every input at the full time limit, as the final
        confirmation of a counterexample runs."""
        self.subject, self.oracle, self.timeout = subject, oracle, timeout
        self.names, self.quick, self.user_generator = names, quick, user_generator
        needs_oracle = (
            oracle.mode != "witness" or oracle.precondition or oracle.validator or user_generator
        )
        sides: list[Side] = ["subject", "oracle"] if needs_oracle else ["subject"]
        with concurrent.futures.ThreadPoolExecutor(2) as starting:
            taken = {side: starting.submit(fresh_workers(side).take) for side in sides}
            self._workers: dict[Side, SandboxedWorker] = {
                side: future.result() for side, future in taken.items()
            }
        self.tries = 0
        self.deadline = math.inf  # monotonic; set by the search for each of its phases
        self.confirm_timeouts = True  # off while shrinking; the final answer is confirmed
        self.stalled = 0.0  # seconds the subject's workers were stuck and then replaced
        self.not_comparable: dict[str, int] = {}  # why outputs could not be compared: count
        self.comparison_notes: set[str] = set()
        self._slowest_reference = 0.0  # seconds, over every input so far
        self._reference_hangs = 0  # inputs on which it ran past the full limit
        self._slowest_candidate = 0.0  # seconds, over its answers within a limit
        self._side = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="refute-oracle")
        self._starting: dict[Side, concurrent.futures.Future[SandboxedWorker]] = {}
        if model_generator:
            self._starting["generator"] = self._side.submit(fresh_workers("generator").take)

    def close(self) -> None:
        """Retire the workers: killed, and replaced by spares, in the background."""
        self._side.shutdown(wait=False)
        for side, starting in self._starting.items():
            starting.add_done_callback(lambda done, side=side: retire_unused(side, done))
        for side, worker in self._workers.items():
            fresh_workers(side).retire(worker)
        self._workers, self._starting = {}, {}

    def fresh(self) -> Executor:
        """An executor like this one on never-used workers, at full time limits: the
        re-run that confirms a counterexample before it is reported."""
        again = Executor(
            self.subject,
            self.oracle,
            timeout=self.timeout,
            user_generator=self.user_generator,
            names=self.names,
            quick=False,
        )
        again.deadline = self.deadline
        return again

    # -- primitives ----------------------------------------------------------------

    def describe(self, target: Target, *, side: Side) -> dict[str, Any]:
        """``target``'s parameters and constants, or ``{"status": "error", "error": ...}``
        when its module does not load (within the time left, at most 30 s)."""
        limit = max(min(DESCRIBE_LIMIT, self.deadline - time.monotonic()), 0.01)
        reply = self._call(
            side,
            "describe",
            limit + GRACE,
            source=target.source,
            filename=target.filename,
            entry=target.entry,
            limit=limit,
        )
        status = reply.get("status") if isinstance(reply, dict) else None
        if status == "timeout":
            return {"status": "error", "error": f"it did not load within {limit:.2g} s"}
        if status in ("error", "crash"):
            return {"status": "error", "error": str(reply.get("error"))[:2000]}
        described = reply.get("description") if status == "ok" else None
        if not isinstance(described, dict):
            return {"status": "error", "error": "ProtocolError: not a description"}
        return {"status": "ok", **described}

    def call(
        self,
        target: Target,
        inputs: list[Any],
        *,
        timeout: float,
        side: Side,
        stop_on_timeout: bool = False,
    ) -> list[dict]:
        """``target``'s function on each encoded argument list, ``timeout`` seconds each;
        one checked reply per input (``cut`` for those that did not run)."""
        return self._batch(
            "call_batch",
            target,
            len(inputs),
            timeout,
            side,
            entry=target.entry,
            inputs=inputs,
            stop_on_timeout=stop_on_timeout,
        )

    def run_programs(
        self, target: Target, stdins: list[str], *, timeout: float, side: Side
    ) -> list[dict]:
        """The whole program once per stdin text, ``timeout`` seconds each."""
        return self._batch("program_batch", target, len(stdins), timeout, side, stdins=stdins)

    def generate(self, generator: Target, draws: list[list[int]], *, side: Side) -> list[dict]:
        """``generate(Random(seed), size)`` for each ``[seed, size]``: on the oracle for
        the user's generator, on a worker of its own for a model's (model code never runs
        beside the oracle, nor beside the candidate it could frame)."""
        return self._batch(
            "generate_batch",
            generator,
            len(draws),
            self.timeout,
            side,
            entry=generator.entry,
            draws=draws,
        )

    def _batch(
        self,
        function: str,
        target: Target,
        count: int,
        limit: float,
        side: Side,
        **fields: Any,
    ) -> list[dict]:
        """One worker call for ``count`` inputs of ``limit`` seconds each, within the
        time left; its replies checked, one per input."""
        until = min(self.deadline - time.monotonic(), count * limit + 30)
        if until <= 0 or not count:
            return [{"status": "cut"}] * count
        started = time.monotonic()
        try:
            replies = self._call(
                side,
                function,
                until + GRACE,
                source=target.source,
                filename=target.filename,
                limit=limit,
                until=until,
                **fields,
            )
        except WorkerError as exc:
            return self._broken(side, exc, count, time.monotonic() - started)
        problem = protocol_problem(
            replies,
            count,
            until - (time.monotonic() - started),
            fields.get("stop_on_timeout", False),
            text_output=function == "program_batch",
        )
        if problem:
            return self._broken(side, problem, count, 0.0)
        return replies + [{"status": "cut"}] * (count - len(replies))

    def _call(self, side: Side, function: str, timeout: float, **fields: Any) -> Any:
        if side not in self._workers:  # the model's generator worker: only when one is used
            starting = self._starting.pop(side, None)
            self._workers[side] = starting.result() if starting else fresh_workers(side).take()
        return self._workers[side].call(function, timeout=timeout, **fields)

    def _broken(self, side: Side, problem: Any, count: int, stalled: float) -> list[dict]:
        """A worker that failed as a whole: replaced by a fresh one. The oracle's failing
        ends the search; the subject's is the candidate's doing: a crash on the first
        input when it broke the protocol or died, untested inputs when it stalled."""
        fresh_workers(side).retire(self._workers.pop(side))
        if side == "oracle":
            raise RefuteError(f"the judging side's worker failed: {problem}")
        if isinstance(problem, WorkerTimeout):
            self.stalled += stalled
            return [{"status": "cut"}] * count
        what = problem if isinstance(problem, str) else f"its worker died ({problem})"
        crash = {"status": "crash", "error": f"ProtocolError: {what}", "seconds": 0.0}
        return [crash] + [{"status": "cut"}] * (count - 1)

    # -- judging functions -------------------------------------------------------------

    def judge(self, inputs: list[tuple[Any, ...]]) -> list[Verdict]:
        """One verdict per argument tuple."""
        verdicts = [Verdict("untested", args) for args in inputs]
        encoded = [encode(list(args)) for args in inputs]
        live = self._admissible(encoded, verdicts)
        if self.oracle.mode == "witness":
            self._judge_witness(verdicts, encoded, live)
        elif self.oracle.mode == "property":
            self._judge_property(verdicts, encoded, live)
        else:
            self._judge_differential(verdicts, encoded, live)
        return verdicts

    def _admissible(self, encoded: list[Any], verdicts: list[Verdict]) -> list[int]:
        if self.oracle.precondition is None:
            return list(range(len(encoded)))
        replies = self.call(
            self.oracle.precondition, encoded, timeout=self._reference_limit(), side="oracle"
        )
        live = []
        for i, reply in enumerate(replies):
            if reply["status"] == "ok" and decode(reply["output"]):
                live.append(i)
            elif reply["status"] != "cut":
                verdicts[i].status = "invalid"
        return live

    def _judge_differential(
        self, verdicts: list[Verdict], encoded: list[Any], live: list[int]
    ) -> None:
        """The reference and the candidate on the batch, side by side when they can be.

        Without a precondition every input is valid, so the candidate need not wait for
        the reference: both workers run at once, and the candidate's first time limit
        comes from the reference's slowest run so far. With one, the candidate runs the
        inputs the precondition let through only, after it.
        """
        assert self.oracle.reference is not None
        inputs = [encoded[i] for i in live]
        if self.oracle.precondition is None and inputs:
            seen = [self._slowest_reference]  # 0.0 at first: the shortest first limit
            running = self._side.submit(self._reference_run, inputs)
            actual = self._run_subject(inputs, seen)
            expected = running.result()
            pairs = list(zip(live, expected, actual, strict=True))
        else:
            expected = self._reference_run(inputs)
            fine = [(i, w) for i, w in zip(live, expected, strict=True) if w["status"] == "ok"]
            actual = self._run_subject(
                [encoded[i] for i, _ in fine], [w.get("seconds", 0.0) for _, w in fine]
            )
            pairs = [(i, w, got) for (i, w), got in zip(fine, actual, strict=True)]
            for i, want in zip(live, expected, strict=True):
                if want["status"] not in ("ok", "cut"):
                    verdicts[i].status = "invalid"
        for index, want, got in pairs:
            if want["status"] == "cut":
                continue  # not run: stays untested
            if want["status"] != "ok":
                verdicts[index].status = "invalid"  # the reference failed: not a valid input
                continue
            self._slowest_reference = max(self._slowest_reference, want.get("seconds", 0.0))
            verdicts[index] = self._compare_outputs(verdicts[index].input, want, got)

    def _reference_run(self, inputs: list[Any]) -> list[dict]:
        """The reference's outcomes (a function's, or a whole program's on stdin texts)
        under its adapted limit; its timeouts there are re-run at the full one (a slow
        input is a valid one), for the first few only: an input it hangs on is invalid,
        and each costs the full limit."""
        assert self.oracle.reference is not None
        reference = self.oracle.reference
        run = self.run_programs if reference.kind == "program" else self.call
        limit = self._reference_limit()
        replies = run(reference, inputs, timeout=limit, side="oracle")
        if limit >= self.timeout:
            return replies
        for i, reply in enumerate(replies):
            if reply["status"] == "timeout" and self._reference_hangs < MAX_REFERENCE_HANGS:
                replies[i] = run(reference, [inputs[i]], timeout=self.timeout, side="oracle")[0]
                self._reference_hangs += replies[i]["status"] == "timeout"
        return replies

    def _reference_limit(self) -> float:
        """The reference's time limit: the full one until it has answered once, then 20
        times its slowest answer (within bounds): an input on which it hangs is not a
        valid one, and must not cost the whole limit each time."""
        if not self.quick or self._slowest_reference <= 0:
            return self.timeout
        return min(self.timeout, max(MIN_REFERENCE_LIMIT, 20 * self._slowest_reference))

    def _compare_outputs(self, args: tuple[Any, ...], want: dict, got: dict) -> Verdict:
        if got["status"] == "cut":
            return Verdict("untested", args)
        self.tries += 1
        failure = _failure(args, got)
        if failure:
            failure.expected = _show(want["output"])
            return failure
        expected, actual = decode(want["output"]), decode(got["output"])
        if self.oracle.checker is not None:
            ok, error = self._check(self.oracle.checker, [_input_value(args), expected, actual])
            if ok is None:  # the budget ran out before the checker ran
                self.tries -= 1
                return Verdict("untested", args)
        else:
            reason = comparable(expected, actual, self.oracle.compare, self.oracle.tolerance)
            if reason:
                self.tries -= 1
                self.not_comparable[reason] = self.not_comparable.get(reason, 0) + 1
                return Verdict("invalid", args, error=reason)
            ok = same_output(expected, actual, self.oracle.compare, self.oracle.tolerance)
            self.comparison_notes.update(notes(expected, actual))
            error = None
            if ok and want.get("args_after") != got.get("args_after"):
                ok, error = False, self._changed_arguments(args, want, got)
        if ok:
            return Verdict("pass", args)
        return Verdict(
            "fail", args, "wrong_output", _show(want["output"]), _show(got["output"]), error
        )

    def _changed_arguments(self, args: tuple[Any, ...], want: dict, got: dict) -> str:
        """In words: the outputs were equal, but the candidate left its arguments
        otherwise than the reference did."""
        before = list(args)
        expected = decode(want["args_after"]) if "args_after" in want else before
        actual = decode(got["args_after"]) if "args_after" in got else before
        names = self.names or [f"#{i + 1}" for i in range(len(before))]
        changes = []
        for name, was, should, did in zip(names, before, expected, actual, strict=False):
            if should == did:
                continue
            if did == was:
                changes.append(
                    f"left its argument {name} as it was (the reference changed it to {should!r})"
                )
            elif should == was:
                changes.append(f"changed its argument {name} to {did!r}")
            else:
                changes.append(f"changed its argument {name} to {did!r}, not to {should!r}")
        return "returned the same value but " + "; ".join(changes or ["changed its arguments"])

    def _judge_property(self, verdicts: list[Verdict], encoded: list[Any], live: list[int]) -> None:
        assert self.oracle.prop is not None
        actual = self._run_subject([encoded[i] for i in live], None)
        for index, got in zip(live, actual, strict=True):
            args = verdicts[index].input
            if got["status"] == "cut":
                continue
            self.tries += 1
            failure = _failure(args, got)
            if failure:
                verdicts[index] = failure
                continue
            ok, error = self._check(self.oracle.prop, [_input_value(args), decode(got["output"])])
            if ok is None:  # the budget ran out before the property ran
                self.tries -= 1
                continue
            verdicts[index] = (
                Verdict("pass", args)
                if ok
                else Verdict(
                    "fail",
                    args,
                    "wrong_output",
                    None,
                    _show(got["output"]),
                    error or "the property is false",
                )
            )

    def _judge_witness(self, verdicts: list[Verdict], encoded: list[Any], live: list[int]) -> None:
        replies = self.call(
            self.subject, [encoded[i] for i in live], timeout=self.timeout, side="subject"
        )
        for index, reply in zip(live, replies, strict=True):
            if reply["status"] == "cut":
                continue
            self.tries += 1
            args = verdicts[index].input
            if reply["status"] == "ok" and decode(reply["output"]) is True:
                verdicts[index] = Verdict(
                    "fail",
                    args,
                    "wrong_output",
                    "False",
                    "True",
                    "a witness: the predicate holds here",
                )
            else:
                verdicts[index] = Verdict("pass", args)

    def _check(self, target: Target, args: list[Any]) -> tuple[bool | None, str | None]:
        """A property's or checker's judgement, and why it failed where it raised; None
        when it did not run (the budget ran out)."""
        reply = self.call(target, [encode(args)], timeout=self.timeout, side="oracle")[0]
        if reply["status"] == "ok":
            return bool(decode(reply["output"])), None
        if reply["status"] == "cut":
            return None, None
        return False, f"{target.entry} raised {reply.get('error') or reply['status']}"

    def _run_subject(self, encoded: list[Any], reference_seconds: list[float] | None) -> list[dict]:
        """Candidate outcomes, one per input (``cut`` for those the budget left unrun).

        The first time limit is short (see :meth:`_quick_limit`); a timeout under it is
        confirmed at the full limit; when it answers there, the inputs after it (which
        its worker did not run) go in the next call.
        """
        quick = (
            self._quick_limit(max(reference_seconds))
            if reference_seconds and self.quick
            else self.timeout
        )
        replies: list[dict] = []
        while len(replies) < len(encoded):
            rest = encoded[len(replies) :]
            got = self.call(self.subject, rest, timeout=quick, side="subject", stop_on_timeout=True)
            stop = next((i for i, r in enumerate(got) if r["status"] in ("timeout", "cut")), None)
            if stop is None:
                replies += got
                break
            if got[stop]["status"] == "cut":  # the budget ran out
                replies += got
                break
            if quick < self.timeout and self.confirm_timeouts:
                got[stop] = self.call(
                    self.subject, [rest[stop]], timeout=self.timeout, side="subject"
                )[0]
            replies += got[: stop + 1]
            if got[stop]["status"] in ("timeout", "cut"):
                break  # a failure (the search moves on) or no time left: the rest waits
        self._learn_candidate_speed(replies)
        return replies + [{"status": "cut"}] * (len(encoded) - len(replies))

    def _learn_candidate_speed(self, replies: list[dict]) -> None:
        """A candidate slower than the reference but within the full limit is not to be
        timed out under the short one, input after input."""
        answered = [r.get("seconds", 0.0) for r in replies if r["status"] in ("ok", "error")]
        if answered:
            self._slowest_candidate = max(self._slowest_candidate, *answered)

    def _quick_limit(self, reference_seconds: float) -> float:
        """The candidate's first time limit: 20 times the reference's time, and half as
        much again as its own slowest answer so far, within bounds."""
        learned = max(20 * reference_seconds, 1.5 * self._slowest_candidate)
        return min(self.timeout, max(MIN_QUICK_TIMEOUT, learned))

    # -- judging programs --------------------------------------------------------------

    def judge_programs(self, stdins: list[str]) -> list[Verdict]:
        """The reference and the candidate program on the valid inputs, side by side (as
        functions without a precondition): the candidate's first time limit comes from
        the reference's slowest run so far, and an input the reference fails on is not
        valid, whatever the candidate did."""
        verdicts = [Verdict("untested", text) for text in stdins]
        live = list(range(len(stdins)))
        if self.oracle.validator is not None:
            replies = self.call(
                self.oracle.validator,
                [encode([t]) for t in stdins],
                timeout=self._reference_limit(),
                side="oracle",
            )
            live = [i for i, r in enumerate(replies) if r["status"] == "ok" and decode(r["output"])]
            for i, reply in enumerate(replies):
                if i not in live and reply["status"] != "cut":
                    verdicts[i].status = "invalid"
        assert self.oracle.reference is not None
        inputs = [stdins[i] for i in live]
        if not inputs:
            return verdicts
        running = self._side.submit(self._reference_run, inputs)
        quick = self._quick_limit(self._slowest_reference) if self.quick else self.timeout
        actual = self.run_programs(self.subject, inputs, timeout=quick, side="subject")
        self._learn_candidate_speed(actual)
        expected = running.result()
        for index, want, got in zip(live, expected, actual, strict=True):
            if want["status"] == "cut" or got["status"] == "cut":
                continue
            if want["status"] != "ok":
                verdicts[index].status = "invalid"
                continue
            self._slowest_reference = max(self._slowest_reference, want.get("seconds", 0.0))
            if got["status"] == "timeout" and quick < self.timeout and self.confirm_timeouts:
                got = self.run_programs(
                    self.subject, [stdins[index]], timeout=self.timeout, side="subject"
                )[0]
                if got["status"] == "cut":
                    continue
            self.tries += 1
            verdicts[index] = self._compare_texts(stdins[index], want, got)
        return verdicts

    def _compare_texts(self, stdin: str, want: dict, got: dict) -> Verdict:
        failure = _failure(stdin, got)
        if failure:
            failure.expected = want["output"]
            return failure
        if same_text(want["output"], got["output"], self.oracle.compare, self.oracle.tolerance):
            return Verdict("pass", stdin)
        return Verdict("fail", stdin, "wrong_output", want["output"], got["output"])


def _failure(given: Any, got: dict) -> Verdict | None:
    if got["status"] == "timeout":
        return Verdict("fail", given, "timeout", error=f"no answer within {got['seconds']:.2g} s")
    if got["status"] in ("error", "crash"):
        return Verdict("fail", given, "crash", error=got.get("error"))
    return None


def _input_value(args: tuple[Any, ...]) -> Any:
    """What a property sees as "the input": the argument, or the tuple of several."""
    return args[0] if len(args) == 1 else args


def _show(encoded: Any) -> str:
    return repr(decode(encoded)) if encoded is not None else "None"
