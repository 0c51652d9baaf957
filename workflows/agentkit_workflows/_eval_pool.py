"""The worker processes of ``agentkit eval``: items run in spawned processes, one at a time
each, and a process that dies or overruns is replaced without stopping the evaluation.

Spawned, so none of the parent's threads or locks leak into them. A worker tells the
parent its item's run id as soon as the run exists, so an item whose worker then dies
(``os._exit``, a segfault, the OOM killer) or overruns the per-item timeout is recorded
as failed with its run marked failed in the store, and a fresh worker takes the next one.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from agentkit import AgentkitError, Store, Workflow
from agentkit.workflow_loader import load_workflow
from agentkit.workflows import WorkflowFailed, resume_workflow

__all__ = ["Job", "WorkerStartError", "exit_reason", "run_jobs"]

POLL_SECONDS = 0.5
# What a workflow's first run imports, imported before the worker says it is ready,
# so that an item's time (and its timeout) is the item's own.
WARM_UP = ("langgraph.func", "langgraph.checkpoint.sqlite", "openai")
STOP_SECONDS = 5.0


class WorkerStartError(AgentkitError):
    """A worker process could not load the workflow."""


@dataclass(frozen=True)
class Job:
    key: str
    inputs: dict[str, Any]
    run_id: str | None = None  # a run to continue instead of starting one


def _worker_main(conn: Connection, spec: str, model: str) -> None:
    """A worker process: load the workflow once, then run the jobs the parent sends."""
    os.setsid()  # out of the terminal's process group: Ctrl-C is the parent's to handle
    os.dup2(2, 1)  # what the workflow prints must not end up in the parent's --json output
    try:
        flow, store = load_workflow(spec), Store()
        for module in WARM_UP:
            importlib.import_module(module)
    except Exception as exc:
        conn.send(("fatal", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready",))
    with contextlib.suppress(EOFError, OSError):  # the parent went away
        while (job := conn.recv()) is not None:
            conn.send(("done", job.key, _run_job(flow, store, model, job, conn)))


def _run_job(flow: Workflow, store: Store, model: str, job: Job, conn: Connection) -> dict:
    started, run_id = time.perf_counter(), None
    try:
        run_id = _start_run(flow, store, model, job)
        conn.send(("started", job.key, run_id))
        result = resume_workflow(run_id, model=model, store=store, workflow=flow).result
        return {"run_id": run_id, "result": result, "seconds": time.perf_counter() - started}
    except WorkflowFailed as exc:
        cause = exc.__cause__
        error = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    return {"run_id": run_id, "error": error, "seconds": time.perf_counter() - started}


def _start_run(flow: Workflow, store: Store, model: str, job: Job) -> str:
    """The job's run, recorded before it starts: so the parent knows the run id even if
    the workflow then kills this process."""
    if job.run_id is not None and store.get_run(job.run_id) is not None:
        return job.run_id
    return flow.start(job.inputs, model=model, store=store).id


class _Worker:
    """One worker process, seen from the parent, and the job it is running."""

    def __init__(self, context: Any, spec: str, model: str) -> None:
        self.conn, theirs = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(theirs, spec, model), name="agentkit-eval-worker"
        )
        self.process.start()
        theirs.close()
        self.job: Job | None = None
        self.run_id: str | None = None
        self.ready = False  # loaded the workflow: the item's time starts then
        self.since = 0.0

    def give(self, job: Job) -> None:
        self.job, self.run_id, self.since = job, job.run_id, time.monotonic()
        self.conn.send(job)

    def overdue(self, timeout: float | None) -> bool:
        return bool(timeout) and self.ready and time.monotonic() - self.since > timeout

    def collect(
        self, timeout: float | None, on_started: Callable[[Job, str], None]
    ) -> list[tuple[Job, dict[str, Any]]]:
        """The jobs that ended since last time, with their outcomes."""
        dead = not self.process.is_alive()  # before reading: then all it sent is there
        ended: list[tuple[Job, dict[str, Any]]] = []
        for message in self._messages():
            if message[0] == "fatal":
                raise WorkerStartError(f"an eval worker could not start: {message[1]}")
            if message[0] == "ready":
                self.ready, self.since = True, time.monotonic()
            elif message[0] == "started" and self.job is not None:
                self.run_id = message[2]
                on_started(self.job, message[2])
            elif message[0] == "done" and self.job is not None:
                ended.append((self.job, message[2]))
                self.job = None
        if self.job is not None and dead:
            reason = exit_reason(self.process.exitcode)
            ended.append(self._abandon(f"the worker process died ({reason}) running this item"))
        elif self.job is not None and self.overdue(timeout):
            self.process.kill()
            self.process.join(STOP_SECONDS)
            ended.append(self._abandon(f"timed out after {timeout:g} s; its worker was stopped"))
        return ended

    def _messages(self) -> Iterator[tuple[Any, ...]]:
        with contextlib.suppress(EOFError, OSError):
            while self.conn.poll():
                yield self.conn.recv()

    def _abandon(self, error: str) -> tuple[Job, dict[str, Any]]:
        assert self.job is not None
        seconds = time.monotonic() - self.since
        job, self.job = self.job, None
        return job, {"run_id": self.run_id, "error": error, "seconds": seconds}

    def stop(self) -> None:
        if self.job is None and self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(STOP_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_SECONDS)
        self.conn.close()


def run_jobs(
    jobs: list[Job],
    *,
    spec: str,
    model: str,
    workers: int,
    timeout: float | None,
    on_started: Callable[[Job, str], None],
    on_done: Callable[[Job, dict[str, Any]], None],
) -> None:
    """Run ``jobs`` on up to ``workers`` processes, replacing any that die.

    ``on_done`` gets each job's outcome: ``run_id`` (None if no run began), ``seconds``,
    and ``result`` or ``error``.
    """
    context = multiprocessing.get_context("spawn")
    waiting: deque[Job] = deque(jobs)
    pool: list[_Worker] = []
    try:
        while waiting or any(w.job is not None for w in pool):
            for gone in [w for w in pool if w.job is None and not w.process.is_alive()]:
                gone.stop()
                pool.remove(gone)
            for worker in pool:
                if worker.job is None and waiting:
                    worker.give(waiting.popleft())
            while waiting and len(pool) < workers:
                pool.append(_Worker(context, spec, model))
                pool[-1].give(waiting.popleft())
            busy = [w for w in pool if w.job is not None]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy], POLL_SECONDS)
            for worker in busy:
                for job, outcome in worker.collect(timeout, on_started):
                    on_done(job, outcome)
    finally:
        for worker in pool:
            worker.stop()


def exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit code {code}"
