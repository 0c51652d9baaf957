"""One cell's bounded record, and what it becomes: an Execution, or a death described."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from agentkit_kernel.output import ArtifactBudget, CellOutput, OutputLimits
from agentkit_kernel.settings import Execution, KernelSettings

LOG_TAIL_BYTES = 600


def new_cell(
    settings: KernelSettings, artifacts_dir: Path, *, saved: int, saved_bytes: int
) -> CellOutput:
    """A collector for one cell; its artifact budget is what its call and session have left."""
    limits = OutputLimits(
        settings.output_chars,
        settings.image_bytes,
        displays=settings.displays,
        display_chars=settings.display_chars,
    )
    budget = ArtifactBudget(
        count=min(settings.artifacts_per_call, settings.artifacts_per_session - saved),
        bytes=min(
            settings.artifact_bytes_per_call, settings.artifact_bytes_per_session - saved_bytes
        ),
    )
    return CellOutput(limits, artifacts_dir, budget)


def finished(cell: CellOutput, reply: dict[str, Any], *, restarted: bool) -> Execution:
    """The Execution of a cell whose reply arrived."""
    cell.execution_count = reply.get("execution_count", cell.execution_count)
    output = cell.to_output(restarted=restarted)
    if cell.rejected is not None:
        message = f"KernelError: the kernel sent {cell.rejected}; it was dropped"
        return Execution("error", output, message, cell.artifacts, restarted)
    if reply.get("status") == "ok":
        return Execution("ok", output, None, cell.artifacts, restarted)
    if cell.error is None:
        cell.take_error(reply)
        output = cell.to_output(restarted=restarted)
    error = cell.error or {"ename": "Error", "evalue": str(reply.get("status"))}
    message = f"{error['ename']}: {error['evalue']}".rstrip(": ")
    return Execution("error", output, message, cell.artifacts, restarted)


def failed(cell: CellOutput, status: str, message: str) -> Execution:
    """The Execution of a cell that timed out or whose kernel died."""
    restarted = status == "died" or "restarted" in message
    return Execution(
        status, cell.to_output(restarted=restarted), message, cell.artifacts, restarted
    )


def describe_exit(code: int, *, isolated: bool, memory_mb: int, log: Path | None = None) -> str:
    """How the kernel process ended, for an error message; with the log's last line if given."""
    # bwrap passes a signal death on as exit code 128 + the signal's number.
    number = -code if code < 0 else code - 128 if code > 128 and isolated else 0
    how = f"exit code {code}"
    if number:
        how = f"killed by {_signal_name(number)}" + (f", exit code {code}" if code > 0 else "")
        if number in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
            how += f"; a crash like this is often the {memory_mb} MB memory limit"
    if log is None:
        return how
    last = [line.strip() for line in _tail(log).splitlines() if line.strip()][-1:]
    return how + (f"; its log ends: {last[0]}" if last else "")


def _tail(log: Path) -> str:
    # Only the end is read: the kernel can write hundreds of megabytes to its log.
    with log.open("rb") as file:
        file.seek(max(0, file.seek(0, 2) - LOG_TAIL_BYTES))
        return file.read().decode("utf-8", "replace")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
