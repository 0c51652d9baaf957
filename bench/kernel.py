"""The sandboxed ``python`` tool against raw jupyter_client, measured in one run.

Baseline: an unsandboxed ipykernel started by jupyter_client's own KernelManager and
driven with ``execute_interactive``, the way jupyter_client is normally used. Ours: the
``python`` tool called through agentkit (registry, hooks, run store, the kernel pool,
the sandbox). Four measurements, as issue 3 asks:

1. warm round trip (``x = 1`` then ``print(x)``): p50 ratio to raw; target <= 1.25;
2. first call on a new session with a warm pool, as a share of a cold kernel start;
   target <= 10%;
3. throughput: 8 sessions x 200 short cells at once on this machine: cells/s, and the
   ratio to 8 raw kernels doing the same;
4. memory: RSS of one idle pooled kernel (every process in its sandbox) and of a raw one.

    .venv/bin/python bench/kernel.py [--cells 200] [--sessions 8] [--round-trips 300] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--first-calls", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="agentkit-bench-"))
    (home / "config.toml").write_text(
        f"[kernel]\npool_size = 2\nmax_kernels = {options.sessions + 4}\n"
    )
    os.environ.update(AGENTKIT_HOME=str(home), AGENTKIT_LOAD_PLUGINS="kernel")
    report = asyncio.run(measure(options))
    if options.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


async def measure(options: argparse.Namespace) -> dict[str, float]:
    import agentkit
    from agentkit_kernel import get_pool

    tool = agentkit.get_tool("python")
    pool = await asyncio.wrap_future(_on_runtime(get_pool()))
    await asyncio.wrap_future(_on_runtime(pool.wait_warm()))

    raw = _raw_manager()
    started = time.perf_counter()
    await raw.start_kernel()
    raw_client = raw.client()
    raw_client.start_channels()
    await raw_client.wait_for_ready(timeout=60)
    raw_cold = time.perf_counter() - started

    report: dict[str, float] = {"raw_cold_start_s": raw_cold}
    report.update(await round_trips(tool, raw_client, options.round_trips))
    report.update(await first_calls(tool, pool, options.first_calls))
    report.update(await throughput(tool, options.sessions, options.cells))
    report["kernel_rss_mib"] = await asyncio.wrap_future(_on_runtime(_spare_rss(pool)))
    report["raw_kernel_rss_mib"] = _rss_mib([raw.provisioner.process.pid])
    report["cold_sandboxed_start_s"] = await asyncio.wrap_future(_on_runtime(_cold_start(pool)))
    report["first_call_share_of_cold_start"] = (
        report["first_call_p50_ms"] / 1000 / report["cold_sandboxed_start_s"]
    )
    raw_client.stop_channels()
    await raw.shutdown_kernel(now=True)
    return report


async def round_trips(tool, raw_client, count: int) -> dict[str, float]:
    import agentkit

    ours, raw = [], []

    async def raw_cell(code: str) -> None:
        reply = await raw_client.execute_interactive(code, output_hook=lambda msg: None, timeout=30)
        assert reply["content"]["status"] == "ok"

    for _ in range(count):
        for code in ("x = 1", "print(x)"):
            start = time.perf_counter()
            result = await agentkit.acall_tool(tool, {"code": code, "session": "round-trip"})
            ours.append(time.perf_counter() - start)
            assert result.ok, result.error
            start = time.perf_counter()
            await raw_cell(code)
            raw.append(time.perf_counter() - start)
    ours_p50, raw_p50 = statistics.median(ours), statistics.median(raw)
    return {
        "round_trip_p50_ms": ours_p50 * 1000,
        "round_trip_p95_ms": statistics.quantiles(ours, n=20)[-1] * 1000,
        "raw_round_trip_p50_ms": raw_p50 * 1000,
        "raw_round_trip_p95_ms": statistics.quantiles(raw, n=20)[-1] * 1000,
        "round_trip_ratio": ours_p50 / raw_p50,
    }


async def first_calls(tool, pool, count: int) -> dict[str, float]:
    import agentkit

    times = []
    for index in range(count):
        await asyncio.wrap_future(_on_runtime(pool.wait_warm()))
        start = time.perf_counter()
        result = await agentkit.acall_tool(tool, {"code": "x = 1", "session": f"first-{index}"})
        times.append(time.perf_counter() - start)
        assert result.ok, result.error
        await asyncio.wrap_future(_on_runtime(pool.close_session(f"first-{index}")))
    return {"first_call_p50_ms": statistics.median(times) * 1000}


async def throughput(tool, sessions: int, cells: int) -> dict[str, float]:
    import agentkit

    async def ours(session: str) -> None:
        for i in range(cells):
            result = await agentkit.acall_tool(tool, {"code": f"y = {i} * 2", "session": session})
            assert result.ok, result.error

    for index in range(sessions):  # sessions exist before the clock starts, as raw kernels do
        await agentkit.acall_tool(tool, {"code": "pass", "session": f"tp-{index}"})
    start = time.perf_counter()
    await asyncio.gather(*(ours(f"tp-{index}") for index in range(sessions)))
    ours_rate = sessions * cells / (time.perf_counter() - start)

    managers = [_raw_manager() for _ in range(sessions)]
    await asyncio.gather(*(m.start_kernel() for m in managers))
    clients = [m.client() for m in managers]
    for client in clients:
        client.start_channels()
    await asyncio.gather(*(c.wait_for_ready(timeout=60) for c in clients))

    async def raw(client) -> None:
        for i in range(cells):
            await client.execute_interactive(f"y = {i} * 2", output_hook=lambda m: None, timeout=30)

    start = time.perf_counter()
    await asyncio.gather(*(raw(client) for client in clients))
    raw_rate = sessions * cells / (time.perf_counter() - start)
    for client in clients:
        client.stop_channels()
    await asyncio.gather(*(m.shutdown_kernel(now=True) for m in managers))
    return {
        "throughput_cells_per_s": ours_rate,
        "raw_throughput_cells_per_s": raw_rate,
        "throughput_ratio": ours_rate / raw_rate,
    }


async def _spare_rss(pool) -> float:
    from agentkit.sandbox import processes_of

    await pool.wait_warm()
    await asyncio.sleep(2)  # let the idle kernel settle
    spare = pool.spares[0]
    return _rss_mib(processes_of(spare.sandbox.uid))


async def _cold_start(pool) -> float:
    from agentkit_kernel import SandboxedKernel

    kernel = SandboxedKernel(pool.settings, policy=pool.policy, artifacts_dir=pool.artifacts_dir)
    start = time.perf_counter()
    await kernel.start()
    elapsed = time.perf_counter() - start
    await kernel.shutdown()
    return elapsed


def _raw_manager():
    """An unsandboxed kernel on the IPC transport, like ours (and without TCP's warning)."""
    from jupyter_client.manager import AsyncKernelManager

    return AsyncKernelManager(transport="ipc", ip=tempfile.mkdtemp(prefix="raw-kernel-") + "/k")


def _on_runtime(coro):
    from agentkit._runtime import runtime_loop

    return asyncio.run_coroutine_threadsafe(coro, runtime_loop())


def _rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def print_report(r: dict[str, float]) -> None:
    print("sandboxed python tool vs raw jupyter_client (same run, same machine)")
    print(
        f"  warm round trip p50   {r['round_trip_p50_ms']:7.2f} ms   raw "
        f"{r['raw_round_trip_p50_ms']:.2f} ms   ratio {r['round_trip_ratio']:.2f} (target <= 1.25)"
    )
    print(
        f"  round trip p95        {r['round_trip_p95_ms']:7.2f} ms   raw "
        f"{r['raw_round_trip_p95_ms']:.2f} ms"
    )
    print(
        f"  first call, new session, warm pool  {r['first_call_p50_ms']:.1f} ms = "
        f"{100 * r['first_call_share_of_cold_start']:.1f}% of a cold sandboxed start "
        f"({r['cold_sandboxed_start_s'] * 1000:.0f} ms; raw cold start "
        f"{r['raw_cold_start_s'] * 1000:.0f} ms) (target <= 10%)"
    )
    print(
        f"  throughput            {r['throughput_cells_per_s']:7.0f} cells/s   raw "
        f"{r['raw_throughput_cells_per_s']:.0f} cells/s   ratio {r['throughput_ratio']:.2f}"
    )
    print(
        f"  idle kernel RSS       {r['kernel_rss_mib']:7.1f} MiB (whole sandbox)   raw "
        f"{r['raw_kernel_rss_mib']:.1f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
