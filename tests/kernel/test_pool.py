"""The kernel pool: warm spares, sessions, the bound on live kernels, reaping."""

from __future__ import annotations

import asyncio
import time

import pytest
from kernel_helpers import needs_bwrap, run
from sandbox_helpers import wait_until

from agentkit.sandbox import processes_of
from agentkit_kernel import KernelError, KernelPool, KernelSettings


def make_pool(artifacts, **settings) -> KernelPool:
    needs_bwrap()
    base = {"timeout": 5.0, "interrupt_grace": 2.0, "pool_size": 1, "max_kernels": 3}
    return KernelPool(KernelSettings(**{**base, **settings}), artifacts_dir=artifacts)


@pytest.fixture
def closing():
    pools: list[KernelPool] = []
    yield pools.append
    for pool in pools:
        run(pool.close())


def test_a_new_session_gets_a_warm_spare_and_the_spare_is_replaced(artifacts, closing):
    pool = make_pool(artifacts)
    closing(pool)
    run(pool.wait_warm())
    [spare] = pool.spares
    assert run(pool.execute("x = 1", session="a")).status == "ok"
    assert pool.sessions["a"] is spare
    assert wait_until(lambda: len(pool.spares) == 1, timeout=30)
    assert pool.spares[0] is not spare


def test_sessions_keep_state_and_a_call_without_session_is_thrown_away(artifacts, closing):
    pool = make_pool(artifacts)
    closing(pool)
    run(pool.execute("x = 41", session="keep"))
    assert run(pool.execute("x + 1", session="keep")).output["result"] == "42"
    first = run(pool.execute("import os; y = 1; os.getuid()"))
    second = run(pool.execute("y"))
    assert second.status == "error" and second.error == "NameError: name 'y' is not defined"
    uid = int(first.output["result"])
    assert wait_until(lambda: processes_of(uid) == [])  # the throwaway kernel is gone


def test_live_kernels_stay_within_the_bound_by_evicting_the_stalest_idle_session(
    artifacts, closing
):
    pool = make_pool(artifacts, max_kernels=2, pool_size=1)
    closing(pool)
    for name in ("a", "b", "c"):
        assert run(pool.execute(f"name = {name!r}", session=name)).status == "ok"
        assert pool.live <= 2
    assert sorted(pool.sessions) == ["b", "c"]  # "a" was the least recently used
    assert run(pool.execute("name", session="b")).output["result"] == "'b'"


def test_when_every_kernel_is_busy_a_new_session_gets_a_clear_error(artifacts, closing):
    pool = make_pool(artifacts, max_kernels=1, pool_size=0)
    closing(pool)

    async def busy_and_new():
        busy = asyncio.ensure_future(pool.execute("import time; time.sleep(3)", session="busy"))
        while "busy" not in pool.sessions or not pool.sessions["busy"].lock.locked():
            await asyncio.sleep(0.05)
        try:
            with pytest.raises(KernelError, match="all 1 kernels are busy"):
                await pool.execute("1", session="other")
        finally:
            assert (await busy).status == "ok"

    run(busy_and_new())


def test_idle_sessions_are_shut_down(artifacts, closing):
    pool = make_pool(artifacts, idle_seconds=1.0, pool_size=0)
    closing(pool)
    done = run(pool.execute("import os; os.getuid()", session="sleepy"))
    uid = int(done.output["result"])
    assert wait_until(lambda: "sleepy" not in pool.sessions, timeout=10)
    assert wait_until(lambda: processes_of(uid) == [])


def test_closing_the_pool_stops_every_kernel(artifacts):
    pool = make_pool(artifacts)
    uids = [
        int(run(pool.execute("import os; os.getuid()", session=name)).output["result"])
        for name in ("a", "b")
    ]
    run(pool.wait_warm())
    uids.append(pool.spares[0].sandbox.uid)
    run(pool.close())
    assert pool.sessions == {} and pool.spares == []
    for uid in uids:
        assert wait_until(lambda uid=uid: processes_of(uid) == [])


def test_calls_on_different_sessions_run_in_parallel(artifacts, closing):
    pool = make_pool(artifacts, pool_size=0)
    closing(pool)
    for name in ("a", "b"):
        run(pool.execute("import time", session=name))

    async def both():
        started = time.monotonic()
        results = await asyncio.gather(
            *(pool.execute("time.sleep(3)", session=name) for name in ("a", "b"))
        )
        return time.monotonic() - started, results

    elapsed, results = run(both())
    assert all(result.status == "ok" for result in results)
    assert elapsed < 5  # one after the other would take 6 s
