"""Overhead of one tool call through agentkit, against a direct call of the same function.

The agentkit path is the whole road a plan step takes: lookup in the tool registry
(built from a plugin's ``register_tools``), argument validation, the ``call_tool``
hook chain with a plugin's wrapper around agentkit's executor, the worker-thread hop,
and the event written to the SQLite run store. Both paths run in this process, on the
same inputs, interleaved call by call so that machine noise hits both alike.

Target (issue 2): at most 1 ms median added per call.

    .venv/bin/python bench/tool_call_overhead.py [--calls N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time

TARGET_ADDED_MS = 1.0


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    os.environ["AGENTKIT_HOME"] = tempfile.mkdtemp(prefix="agentkit-bench-")
    os.environ["AGENTKIT_LOAD_PLUGINS"] = ""
    import agentkit

    wrapped_calls = []

    class BenchPlugin:
        @staticmethod
        @agentkit.hookimpl
        def register_tools(register):
            register(add)

        @staticmethod
        @agentkit.hookimpl(wrapper=True)
        def call_tool(call):
            result = yield
            wrapped_calls.append(result.ok)
            return result

    agentkit.load_plugins()
    agentkit.pm.register(BenchPlugin, name="bench")
    run = agentkit.Store().start_run("bench", "tool_call_overhead")
    arguments = {"a": 20, "b": 22}

    def through_agentkit() -> None:
        result = agentkit.call_tool("add", arguments, run=run)
        assert result.output == 42, result

    async def through_agentkit_async() -> None:
        result = await agentkit.acall_tool("add", arguments, run=run)
        assert result.output == 42, result

    def direct() -> None:
        assert add(**arguments) == 42

    for _ in range(200):  # warm up: registry, imports, the store's connection
        through_agentkit()
        direct()

    sync_ours, sync_direct = _interleaved(through_agentkit, direct, options.calls)
    async_ours = asyncio.run(_timed_async(through_agentkit_async, options.calls))
    events = len(run.store.events(run.id))
    assert len(wrapped_calls) == events, "every call must pass the wrapper and reach the store"

    report = {
        "calls": options.calls,
        "direct_median_us": _median_us(sync_direct),
        "agentkit_median_us": _median_us(sync_ours),
        "agentkit_p95_us": _p95_us(sync_ours),
        "added_median_us": _median_us(sync_ours) - _median_us(sync_direct),
        "agentkit_async_median_us": _median_us(async_ours),
        "added_async_median_us": _median_us(async_ours) - _median_us(sync_direct),
        "ratio_to_direct": statistics.median(sync_ours) / statistics.median(sync_direct),
        "events_recorded": events,
        "target_added_us": TARGET_ADDED_MS * 1000,
    }
    report["meets_target"] = max(report["added_median_us"], report["added_async_median_us"]) <= (
        TARGET_ADDED_MS * 1000
    )
    if options.json:
        print(json.dumps(report, indent=2))
        return
    print(f"tool call overhead, {options.calls} calls each, interleaved")
    print(f"  direct python call     median {report['direct_median_us']:9.2f} us")
    print(
        f"  agentkit call_tool     median {report['agentkit_median_us']:9.2f} us"
        f"   p95 {report['agentkit_p95_us']:.2f} us"
    )
    print(f"  agentkit acall_tool    median {report['agentkit_async_median_us']:9.2f} us")
    print(
        f"  added per call         median {report['added_median_us']:9.2f} us (sync), "
        f"{report['added_async_median_us']:.2f} us (async); "
        f"target <= {TARGET_ADDED_MS * 1000:.0f} us"
    )
    print(f"  ratio to direct call   {report['ratio_to_direct']:.0f}x")
    print(f"  events in the store    {events}")
    print("  RESULT:", "meets the target" if report["meets_target"] else "MISSES the target")


def _interleaved(ours, baseline, calls: int) -> tuple[list[float], list[float]]:
    timer = time.perf_counter
    ours_times, baseline_times = [], []
    for _ in range(calls):
        start = timer()
        ours()
        middle = timer()
        baseline()
        end = timer()
        ours_times.append(middle - start)
        baseline_times.append(end - middle)
    return ours_times, baseline_times


async def _timed_async(fn, calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return times


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def _p95_us(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1] * 1e6


if __name__ == "__main__":
    main()
