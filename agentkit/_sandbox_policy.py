"""What a sandbox is asked for: the mode, the limits and what the inside may see."""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

from agentkit.config import load_settings, settings_from_table
from agentkit.errors import AgentkitError

Mode = Literal["auto", "required", "off"]


class SandboxError(AgentkitError):
    """The sandbox could not be set up, or was required and is not available."""


class SandboxWarning(UserWarning):
    """Untrusted code is about to run with less isolation than it should have."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for everything inside one sandbox."""

    memory_mb: int = 2048  # address space per process (RLIMIT_AS)
    file_size_mb: int = 256  # largest file a process may write (RLIMIT_FSIZE)
    open_files: int = 1024  # per process (RLIMIT_NOFILE)
    processes: int = 128  # processes and threads of the sandbox uid together (RLIMIT_NPROC)
    tmp_size_mb: int = 256  # the private /tmp, and the private /dev/shm (each)
    cpu_seconds: int | None = None  # per process (RLIMIT_CPU); None: no limit
    # All the sandbox's processes together (a memory cgroup, where the machine offers
    # one: see Sandbox.memory_bound); 0: no total bound.
    total_memory_mb: int = 2048
    # CPU time of all the sandbox's processes together (a cpuacct cgroup, checked a few
    # times a second; past it everything inside is killed); None: no session limit.
    session_cpu_seconds: float | None = None
    nice: int = 10  # scheduling priority below agentkit's (nice(1) increment)

    @classmethod
    def from_config(cls, **overrides: Any) -> SandboxLimits:
        """Defaults, then ``[sandbox_limits]`` from the config file, then ``overrides``."""
        return settings_from_table(cls, "sandbox_limits", **overrides)


@dataclass(frozen=True)
class SandboxPolicy:
    """How to confine: the mode, the limits and what the inside may see."""

    mode: Mode = "auto"
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    network: bool = False
    readonly_paths: tuple[str, ...] = ()  # extra host paths visible read-only, same path
    writable_paths: tuple[str, ...] = ()  # extra host paths visible and writable, same path
    env: tuple[tuple[str, str], ...] = ()  # the only environment the inside gets (+PATH, HOME)
    # The command is the pid namespace's init (bubblewrap only): the processes it starts
    # cannot stop, kill or signal it (the kernel drops signals an init has no handler
    # for), so it can supervise code that must not reach it. It must reap orphans.
    command_is_init: bool = False

    @classmethod
    def from_config(cls, **limit_overrides: Any) -> SandboxPolicy:
        mode = os.environ.get("AGENTKIT_SANDBOX") or load_settings().sandbox
        if mode not in ("auto", "required", "off"):
            raise SandboxError(f"AGENTKIT_SANDBOX must be auto, required or off, not {mode!r}")
        return cls(mode=mode, limits=SandboxLimits.from_config(**limit_overrides))  # type: ignore[arg-type]


def bwrap_path() -> str | None:
    """The bubblewrap binary, or None when it is not installed (or switched off)."""
    configured = os.environ.get("AGENTKIT_BWRAP")
    if configured is not None:
        # A path or a name on PATH, like every other tool setting; empty: switched off.
        return shutil.which(configured) if configured else None
    return shutil.which("bwrap")


def check_isolation(mode: str, bwrap: str | None, seccomp_missing: str | None, label: str) -> None:
    """Refuse (mode required), or warn loudly, when bubblewrap or the filter is missing."""
    missing = []
    if bwrap is None and mode != "off":
        missing.append("bubblewrap (bwrap) is missing")
    if seccomp_missing:
        missing.append(f"no seccomp filter: {seccomp_missing}")
    if missing and mode == "required":
        raise SandboxError(
            f"{'; '.join(missing)}, and the sandbox is required; install "
            "bubblewrap and libseccomp2 (apt-get install bubblewrap libseccomp2) or set "
            'sandbox = "auto"'
        )
    if bwrap is None:
        reason = "sandbox = off" if mode == "off" else missing[0]
        warnings.warn(
            f"{label}: {reason}: untrusted code runs with rlimits and its own uid only "
            "(and the seccomp filter), with no filesystem or network isolation; "
            "install bubblewrap",
            SandboxWarning,
            stacklevel=4,
        )
    if seccomp_missing:
        warnings.warn(
            f"{label}: {missing[-1]}: untrusted code may use every system call "
            "(namespaces, keyrings, io_uring)",
            SandboxWarning,
            stacklevel=4,
        )
