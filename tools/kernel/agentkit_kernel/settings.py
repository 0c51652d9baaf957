"""Kernel settings, the outcome of one cell, and the kernel's error."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from agentkit.config import settings_from_table
from agentkit.errors import AgentkitError

# The default kernel command runs this source (ipykernel plus repairs; see its docstring).
LAUNCHER = (Path(__file__).parent / "launcher.py").read_text(encoding="utf-8")


class KernelError(AgentkitError):
    """The kernel could not be started (or restarted) within its limits."""


@dataclass(frozen=True)
class KernelSettings:
    """Knobs for kernels and their pool; ``[kernel]`` in the config file overrides them."""

    timeout: float = 30.0  # default seconds per cell
    interrupt_grace: float = 3.0  # seconds between the interrupt and a forced restart
    startup_timeout: float = 60.0
    restart_limit: int = 3  # failed starts in a row before giving up
    output_chars: int = 100_000  # kept per stream and per text field
    displays: int = 200  # display outputs kept per cell
    display_chars: int = 400_000  # text kept in a cell's display outputs together
    image_bytes: int = 5 << 20  # largest image saved as an artifact
    # Images saved as artifact files (they stay after the session, in agentkit's home):
    # at most this many, and bytes, per call and per session; the rest is dropped.
    artifacts_per_call: int = 20
    artifact_bytes_per_call: int = 32 << 20
    artifacts_per_session: int = 100
    artifact_bytes_per_session: int = 128 << 20
    # Largest single message taken from a kernel. The client briefly holds about three
    # times this per kernel while decoding one, so it bounds the client's memory; a
    # larger message is lost whole, so it must stay above big-but-honest prints.
    message_bytes: int = 64 << 20
    message_depth: int = 100  # deepest nesting of a message's JSON; deeper is dropped
    pool_size: int = 2  # started kernels kept warm for new sessions
    max_kernels: int = 8  # live kernels at most (warm ones included)
    idle_seconds: float = 900.0  # a session idle this long is shut down
    memory_mb: int | None = None  # sandbox limits; None: the sandbox defaults
    processes: int | None = None
    argv: tuple[str, ...] | None = None  # the kernel command; default: launcher.py's source

    @classmethod
    def from_config(cls, **overrides: Any) -> KernelSettings:
        """Defaults, then ``[kernel]`` from the config file, then ``overrides``."""
        settings = settings_from_table(cls, "kernel", **overrides)
        if settings.argv is not None:
            settings = replace(settings, argv=tuple(settings.argv))
        return settings

    def kernel_argv(self, connection_file: Path, ipython_dir: Path) -> list[str]:
        # -s: no user site-packages, which live under HOME (the work directory): a .pth
        # file a cell left there would run at every later start.
        base = list(self.argv) if self.argv else [sys.executable, "-s", "-c", LAUNCHER]
        return [
            *base,
            "-f",
            str(connection_file),
            f"--ipython-dir={ipython_dir}",
            "--HistoryManager.enabled=False",
        ]


@dataclass
class Execution:
    """What happened to one cell."""

    status: str  # ok | error | timeout | died
    output: dict[str, Any]
    error: str | None = None
    artifacts: list[Any] = field(default_factory=list)
    restarted: bool = False
