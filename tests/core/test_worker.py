"""Sandboxed workers (agentkit/worker.py) against real sandboxed Python processes."""

from __future__ import annotations

import concurrent.futures
import os
import sys
import time
from pathlib import Path

import pytest
from sandbox_helpers import require_bwrap

from agentkit.sandbox import UID_BASE
from agentkit.worker import (
    FreshWorkers,
    SandboxedWorker,
    WorkerCallError,
    WorkerCrashed,
    WorkerError,
    WorkerPool,
    WorkerTimeout,
)

sys.path.insert(0, str(Path(__file__).parent / "worker_modules"))

MODULE = "worker_target"
MODULE_FILE = Path(__file__).parent / "worker_modules" / f"{MODULE}.py"


@pytest.fixture
def worker():
    started = SandboxedWorker(MODULE, label="test-worker")
    yield started
    started.close()


def test_call_returns_the_functions_json_result(worker):
    assert worker.call("echo", timeout=30, a=1, b=[1.5, "é", None]) == {
        "a": 1,
        "b": [1.5, "é", None],
    }


def test_module_is_imported_once_per_worker(worker):
    first = worker.call("started_at", timeout=30)
    time.sleep(0.05)
    assert worker.call("started_at", timeout=5) == first


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop needs root")
def test_worker_runs_as_the_sandbox_uid_in_its_workdir(worker):
    seen = worker.call("identity", timeout=30)
    assert seen["uid"] >= UID_BASE
    assert seen["cwd"] == str(worker.sandbox.workdir)


def test_printed_output_never_corrupts_replies(worker):
    assert worker.call("noisy", timeout=30, text="ok") == "OK"
    assert worker.call("echo", timeout=5, x=1) == {"x": 1}


def test_exception_inside_comes_back_as_call_error_and_worker_survives(worker):
    with pytest.raises(WorkerCallError) as caught:
        worker.call("fail", timeout=30, message="bad input")
    assert caught.value.type_name == "ValueError"
    assert caught.value.message == "bad input"
    assert "fail" in caught.value.traceback
    first = worker.call("started_at", timeout=5)
    assert worker.call("started_at", timeout=5) == first  # same process


def test_unknown_private_and_bad_arguments_are_call_errors(worker):
    with pytest.raises(WorkerCallError, match="AttributeError"):
        worker.call("no_such_function", timeout=30)
    with pytest.raises(WorkerCallError, match="private"):
        worker.call("_hidden", timeout=5)
    with pytest.raises(WorkerCallError, match="TypeError"):
        worker.call("sleep", timeout=5, wrong=1)


def test_non_json_result_is_a_call_error(worker):
    with pytest.raises(WorkerCallError, match="not JSON"):
        worker.call("not_json", timeout=30)


def test_timeout_kills_a_spinning_call_and_next_call_gets_a_fresh_worker(worker):
    before = worker.call("started_at", timeout=30)
    started = time.monotonic()
    with pytest.raises(WorkerTimeout, match="timed out"):
        worker.call("spin", timeout=0.5)
    assert time.monotonic() - started < 5
    assert not worker.running
    after = worker.call("started_at", timeout=30)
    assert after > before


def test_a_worker_killed_mid_call_is_reported_with_its_last_words(worker):
    with pytest.raises(WorkerCrashed, match=r"signal 9.*last words"):
        worker.call("die", timeout=30, message="last words")
    assert worker.call("echo", timeout=30, alive=True) == {"alive": True}


def test_memory_limit_is_enforced_inside(worker):
    with pytest.raises(WorkerCallError, match="MemoryError"):
        worker.call("allocate", timeout=30, megabytes=4096)
    assert worker.call("allocate", timeout=5, megabytes=16) == 16 << 20


def test_reply_over_the_limit_is_refused():
    with SandboxedWorker(MODULE, reply_limit=1000) as small:
        assert small.call("reply_of", timeout=30, size=10) == "x" * 10
        with pytest.raises(WorkerCrashed, match="over the 1000 limit"):
            small.call("reply_of", timeout=5, size=5000)


def test_unknown_module_is_one_clear_error():
    with pytest.raises(WorkerError, match="no module named 'no_such_module_here'"):
        SandboxedWorker("no_such_module_here")


def test_import_error_at_start_is_a_crash_with_the_reason():
    broken = SandboxedWorker("worker_target.missing_submodule", startup_timeout=30)
    try:
        with pytest.raises(WorkerCrashed, match="ModuleNotFoundError"):
            broken.call("echo", timeout=5)
    finally:
        broken.close()


def test_pool_runs_calls_in_parallel_up_to_its_size():
    pool = WorkerPool(MODULE, size=2, label="test-pool")
    try:
        pool.warm()
        pool.call("echo", timeout=30)  # second worker started lazily on demand below
        with concurrent.futures.ThreadPoolExecutor(4) as threads:
            list(threads.map(lambda _: pool.call("sleep", timeout=30, seconds=0.0), range(2)))
            started = time.monotonic()
            results = list(
                threads.map(lambda _: pool.call("sleep", timeout=30, seconds=2.0), range(4))
            )
        elapsed = time.monotonic() - started
        assert results == [2.0] * 4
        assert 3.9 < elapsed < 7  # two at a time: two rounds (4 s), not one and not four
    finally:
        pool.close()
    with pytest.raises(WorkerError, match="closed"):
        pool.call("echo", timeout=5)


def test_a_pool_with_every_worker_busy_makes_a_caller_wait_no_longer_than_its_timeout():
    pool = WorkerPool(MODULE, size=1, label="test-busy")
    try:
        pool.warm()
        with concurrent.futures.ThreadPoolExecutor(1) as thread:
            busy = thread.submit(pool.call, "sleep", timeout=30, seconds=2.0)
            time.sleep(0.3)  # the only worker is taken
            began = time.monotonic()
            with pytest.raises(WorkerTimeout, match=r"all 1 workers stayed busy for 0\.5 s"):
                pool.call("echo", timeout=0.5)
            assert time.monotonic() - began < 1.5
            assert busy.result(timeout=30) == 2.0  # the busy call was not disturbed
        assert pool.call("echo", timeout=30, after=1) == {"after": 1}
    finally:
        pool.close()


def test_pool_replaces_a_timed_out_worker():
    pool = WorkerPool(MODULE, size=1)
    try:
        with pytest.raises(WorkerTimeout):
            pool.call("spin", timeout=0.5)
        assert pool.call("echo", timeout=30, again=1) == {"again": 1}
    finally:
        pool.close()


def test_fresh_workers_hand_each_started_worker_out_once_and_start_a_spare_on_retire():
    fresh = FreshWorkers(MODULE, label="test-fresh")
    taken: list[SandboxedWorker] = []
    try:
        taken.append(fresh.take())  # no spare yet: started on the spot
        assert taken[0].call("count_calls", timeout=30) == 1
        assert fresh.ready == 0  # nothing starts behind the caller's back while it works
        fresh.retire(taken[0])
        assert fresh.warm(timeout=60) and fresh.ready == 1
        asked = time.time()
        taken.append(fresh.take())
        assert taken[1].call("started_at", timeout=30) < asked  # it was started ahead
        assert taken[1].call("count_calls", timeout=30) == 1  # never used
        assert taken[0].sandbox.uid != taken[1].sandbox.uid
        with pytest.raises(WorkerError, match="closed"):
            taken[0].call("echo", timeout=5)  # retired: no more calls
    finally:
        fresh.close()
        for worker in taken:
            worker.close()
    with pytest.raises(WorkerError, match="closed"):
        fresh.take()


def test_inside_sees_agentkit_and_the_workers_module(worker):
    import agentkit

    assert worker.call("agentkit_version", timeout=30) == agentkit.__version__
    assert worker.call("can_read", timeout=5, path=str(MODULE_FILE)) is True


def test_inside_sees_nothing_else_of_the_checkout(worker):
    # Without bubblewrap the inside sees the host's files as its own uid: world-readable
    # sources are readable then, so only the namespaces can hide them.
    require_bwrap()
    import agentkit

    assert worker.sandbox.isolated, "bubblewrap is available, yet the worker is not isolated"
    checkout = Path(agentkit.__file__).resolve().parent.parent
    assert worker.call("can_read", timeout=30, path=str(MODULE_FILE)) is True  # the control
    assert worker.call("can_read", timeout=5, path=__file__) is False
    assert worker.call("can_read", timeout=5, path=str(checkout / "pyproject.toml")) is False


def test_a_worker_started_from_a_short_lived_thread_outlives_it():
    # bubblewrap's --die-with-parent is tied to the starting thread, not the process.
    with concurrent.futures.ThreadPoolExecutor(1) as starter:
        worker = starter.submit(lambda: _started(SandboxedWorker(MODULE))).result()
    try:
        time.sleep(0.5)
        assert worker.call("echo", timeout=30, still="alive") == {"still": "alive"}
    finally:
        worker.close()


def _started(worker: SandboxedWorker) -> SandboxedWorker:
    worker.start()
    return worker
