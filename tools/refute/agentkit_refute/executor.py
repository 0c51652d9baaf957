"""Judging inputs: run them in the sandbox and decide pass, fail or invalid.

Two sandboxed workers, never one: the *subject* runs the code under suspicion (the
candidate, or the predicate of a witness search) and the *oracle* runs the code that
judges it (the reference, the property, the checker, the generator, the validator, a
precondition). Model-written code therefore cannot reach the code that grades it.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading
from typing import Any, Literal

from agentkit.sandbox import SandboxPolicy, bwrap_path
from agentkit.worker import FreshWorkers, SandboxedWorker
from agentkit_refute.compare import Mode, same_output, same_text
from agentkit_refute.targets import Target
from agentkit_refute.values import decode, encode

Kind = Literal["wrong_output", "crash", "timeout"]
INSIDE = "agentkit_refute._inside"
MIN_QUICK_TIMEOUT = 0.25  # a first, short time limit; a timeout is then confirmed at the full one


@dataclasses.dataclass
class Verdict:
    """What one input showed."""

    status: Literal["pass", "fail", "invalid"]
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
        self, subject: Target, oracle: Oracle, *, timeout: float, user_generator: bool = False
    ) -> None:
        """``user_generator``: the user's generator will run (on the oracle side, so the
        witness mode needs that worker for it too)."""
        self.subject, self.oracle, self.timeout = subject, oracle, timeout
        needs_oracle = (
            oracle.mode != "witness" or oracle.precondition or oracle.validator or user_generator
        )
        self._subject_source = fresh_workers("refute-subject")
        self._oracle_source = fresh_workers("refute-oracle") if needs_oracle else None
        with concurrent.futures.ThreadPoolExecutor(2) as starting:
            subject_worker = starting.submit(self._subject_source.take)
            oracle_worker = (
                starting.submit(self._oracle_source.take) if self._oracle_source else None
            )
            self.subject_worker = subject_worker.result()
            self.oracle_worker = oracle_worker.result() if oracle_worker else None
        self.tries = 0
        self.confirm_timeouts = True  # off while shrinking; the final answer is confirmed
        self._slowest_reference = 0.0  # seconds, over every input so far
        self._side = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="refute-oracle")

    def close(self) -> None:
        """Retire both workers: killed, and replaced by spares, in the background."""
        self._side.shutdown(wait=False)
        self._subject_source.retire(self.subject_worker)
        if self._oracle_source is not None and self.oracle_worker is not None:
            self._oracle_source.retire(self.oracle_worker)

    # -- primitives ----------------------------------------------------------------

    def describe(self, target: Target, *, on_subject: bool) -> dict[str, Any]:
        worker = self.subject_worker if on_subject else self._oracle()
        reply = worker.call(
            "describe",
            timeout=60,
            source=target.source,
            filename=target.filename,
            entry=target.entry,
        )
        if reply["status"] != "ok":
            return reply
        return {"status": "ok", **reply["description"]}

    def call(
        self,
        target: Target,
        inputs: list[Any],
        *,
        timeout: float,
        on_subject: bool,
        stop_on_timeout: bool = False,
    ) -> list[dict]:
        """``target``'s function on each encoded argument list, ``timeout`` seconds each."""
        return self._batch(
            "call_batch",
            target,
            len(inputs),
            timeout,
            on_subject,
            entry=target.entry,
            inputs=inputs,
            stop_on_timeout=stop_on_timeout,
        )

    def run_programs(
        self, target: Target, stdins: list[str], *, timeout: float, on_subject: bool
    ) -> list[dict]:
        """The whole program once per stdin text, ``timeout`` seconds each."""
        return self._batch("program_batch", target, len(stdins), timeout, on_subject, stdins=stdins)

    def generate(
        self, generator: Target, draws: list[list[int]], *, on_subject: bool = False
    ) -> list[dict]:
        """``generate(Random(seed), size)`` for each ``[seed, size]``: on the oracle for
        the user's generator, on the subject for a model's (model code never runs
        beside the oracle)."""
        return self._batch(
            "generate_batch",
            generator,
            len(draws),
            self.timeout,
            on_subject,
            entry=generator.entry,
            draws=draws,
        )

    def _batch(
        self,
        function: str,
        target: Target,
        count: int,
        limit: float,
        on_subject: bool,
        **fields: Any,
    ) -> list[dict]:
        """One worker call for ``count`` inputs of ``limit`` seconds each (plus a margin)."""
        worker = self.subject_worker if on_subject else self._oracle()
        return worker.call(
            function,
            timeout=count * limit + 30,
            source=target.source,
            filename=target.filename,
            limit=limit,
            **fields,
        )

    def _oracle(self) -> SandboxedWorker:
        assert self.oracle_worker is not None
        return self.oracle_worker

    # -- judging functions -------------------------------------------------------------

    def judge(self, inputs: list[tuple[Any, ...]]) -> list[Verdict]:
        """One verdict per argument tuple."""
        verdicts = [Verdict("invalid", args) for args in inputs]
        encoded = [encode(list(args)) for args in inputs]
        live = self._admissible(encoded)
        if self.oracle.mode == "witness":
            self._judge_witness(verdicts, encoded, live)
        elif self.oracle.mode == "property":
            self._judge_property(verdicts, encoded, live)
        else:
            self._judge_differential(verdicts, encoded, live)
        return verdicts

    def _admissible(self, encoded: list[Any]) -> list[int]:
        if self.oracle.precondition is None:
            return list(range(len(encoded)))
        replies = self.call(
            self.oracle.precondition, encoded, timeout=self.timeout, on_subject=False
        )
        return [
            i
            for i, reply in enumerate(replies)
            if reply["status"] == "ok" and decode(reply["output"])
        ]

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
            running = self._side.submit(
                self.call, self.oracle.reference, inputs, timeout=self.timeout, on_subject=False
            )
            actual = self._run_subject(inputs, seen)
            expected = running.result()
            pairs = list(zip(live, expected, actual, strict=True))
        else:
            expected = self.call(
                self.oracle.reference, inputs, timeout=self.timeout, on_subject=False
            )
            fine = [(i, w) for i, w in zip(live, expected, strict=True) if w["status"] == "ok"]
            actual = self._run_subject(
                [encoded[i] for i, _ in fine], [w["seconds"] for _, w in fine]
            )
            pairs = [(i, w, got) for (i, w), got in zip(fine, actual, strict=True)]
        for index, want, got in pairs:
            if want["status"] != "ok":
                continue  # the reference failed: not a valid input
            self._slowest_reference = max(self._slowest_reference, want.get("seconds", 0.0))
            verdicts[index] = self._compare_outputs(verdicts[index].input, want, got)

    def _compare_outputs(self, args: tuple[Any, ...], want: dict, got: dict) -> Verdict:
        if got["status"] == "skipped":
            return Verdict("invalid", args)
        self.tries += 1
        failure = _failure(args, got)
        if failure:
            failure.expected = _show(want["output"])
            return failure
        expected, actual = decode(want["output"]), decode(got["output"])
        if self.oracle.checker is not None:
            ok, error = self._check(self.oracle.checker, [_input_value(args), expected, actual])
        else:
            ok = same_output(expected, actual, self.oracle.compare, self.oracle.tolerance)
            error = None
            if ok and want.get("args_after") != got.get("args_after"):
                ok, error = False, f"it changed its arguments to {_show(got.get('args_after'))}"
        if ok:
            return Verdict("pass", args)
        return Verdict(
            "fail", args, "wrong_output", _show(want["output"]), _show(got["output"]), error
        )

    def _judge_property(self, verdicts: list[Verdict], encoded: list[Any], live: list[int]) -> None:
        assert self.oracle.prop is not None
        actual = self._run_subject([encoded[i] for i in live], None)
        for index, got in zip(live, actual, strict=True):
            args = verdicts[index].input
            if got["status"] == "skipped":
                continue
            self.tries += 1
            failure = _failure(args, got)
            if failure:
                verdicts[index] = failure
                continue
            ok, error = self._check(self.oracle.prop, [_input_value(args), decode(got["output"])])
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
            self.subject, [encoded[i] for i in live], timeout=self.timeout, on_subject=True
        )
        replies = [_readable(reply) for reply in replies]
        for index, reply in zip(live, replies, strict=True):
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

    def _check(self, target: Target, args: list[Any]) -> tuple[bool, str | None]:
        reply = self.call(target, [encode(args)], timeout=self.timeout, on_subject=False)[0]
        if reply["status"] == "ok":
            return bool(decode(reply["output"])), None
        return False, f"{target.entry} raised {reply.get('error') or reply['status']}"

    def _run_subject(self, encoded: list[Any], reference_seconds: list[float] | None) -> list[dict]:
        """Candidate outcomes; a timeout under the short limit is confirmed at the full one."""
        quick = self._quick_limit(max(reference_seconds)) if reference_seconds else self.timeout
        replies = self.call(
            self.subject, encoded, timeout=quick, on_subject=True, stop_on_timeout=True
        )
        replies = [_readable(reply) for reply in replies]
        last = replies[-1] if replies else None
        if last and last["status"] == "timeout" and quick < self.timeout and self.confirm_timeouts:
            replies[-1] = _readable(
                self.call(
                    self.subject, [encoded[len(replies) - 1]], timeout=self.timeout, on_subject=True
                )[0]
            )
        # Inputs after a timeout were not run: they count as not tried.
        return replies + [{"status": "skipped"}] * (len(encoded) - len(replies))

    def _quick_limit(self, reference_seconds: float) -> float:
        """The candidate's first time limit: 20 times the reference's time, within bounds."""
        return min(self.timeout, max(MIN_QUICK_TIMEOUT, 20 * reference_seconds))

    # -- judging programs --------------------------------------------------------------

    def judge_programs(self, stdins: list[str]) -> list[Verdict]:
        """The reference and the candidate program on the valid inputs, side by side (as
        functions without a precondition): the candidate's first time limit comes from
        the reference's slowest run so far, and an input the reference fails on is not
        valid, whatever the candidate did."""
        verdicts = [Verdict("invalid", text) for text in stdins]
        live = list(range(len(stdins)))
        if self.oracle.validator is not None:
            replies = self.call(
                self.oracle.validator,
                [encode([t]) for t in stdins],
                timeout=self.timeout,
                on_subject=False,
            )
            live = [i for i, r in enumerate(replies) if r["status"] == "ok" and decode(r["output"])]
        assert self.oracle.reference is not None
        inputs = [stdins[i] for i in live]
        if not inputs:
            return verdicts
        running = self._side.submit(
            self.run_programs, self.oracle.reference, inputs, timeout=self.timeout, on_subject=False
        )
        quick = self._quick_limit(self._slowest_reference)
        actual = self.run_programs(self.subject, inputs, timeout=quick, on_subject=True)
        expected = running.result()
        for index, want, got in zip(live, expected, actual, strict=True):
            if want["status"] != "ok":
                continue
            self._slowest_reference = max(self._slowest_reference, want["seconds"])
            if got["status"] == "timeout" and quick < self.timeout and self.confirm_timeouts:
                got = self.run_programs(
                    self.subject, [stdins[index]], timeout=self.timeout, on_subject=True
                )[0]
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


_fresh: dict[tuple[str, SandboxPolicy, str | None], FreshWorkers] = {}
_fresh_lock = threading.Lock()


def fresh_workers(label: str) -> FreshWorkers:
    """Where a search takes its never-used workers, for the sandbox settings in force.

    Never reused: the code of one search must not meet the next one's. Keyed by the
    settings, so a change of configuration gets new workers.
    """
    key = (label, SandboxPolicy.from_config(), bwrap_path())
    with _fresh_lock:
        if key not in _fresh:
            _fresh[key] = FreshWorkers(INSIDE, policy=key[1], label=label)
        return _fresh[key]


def warm(timeout: float = 60.0) -> bool:
    """Start the sandboxed workers ahead, so that the next search does not wait for them."""
    return all(fresh_workers(label).warm(timeout) for label in ("refute-subject", "refute-oracle"))


def _readable(reply: dict) -> dict:
    """A subject's reply whose output can be decoded; else an error reply. The code under
    test can forge what its worker sends, and a forged output must not stop the search."""
    if reply.get("status") != "ok":
        return reply
    try:
        decode(reply["output"])
    except Exception as exc:
        return {**reply, "status": "error", "error": f"ProtocolError: unreadable output ({exc})"}
    return reply


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
