"""A memory cgroup per sandbox: one bound on the memory of all its processes together.

``RLIMIT_AS`` is per process: three children of 1 GiB each pass a 2 GiB limit. A memory
cgroup counts them together, and the kernel's OOM killer stops one of them at the
limit. These machines have cgroups v1 (the memory controller at
``/sys/fs/cgroup/memory``); the sandbox's group is made under the agentkit process's
own, which root may write. Where that is not possible (no controller, not root) there
is no total bound, and :attr:`Sandbox.memory_bound` says so.

A process joins the group by writing its own pid to ``cgroup.procs`` before it execs
the rest of the sandbox's command (:func:`join_prefix`), so nothing it starts escapes:
children are born in their parent's group, and only root may move a process out.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

MEMORY_ROOT = Path("/sys/fs/cgroup/memory")


class MemoryCgroup:
    """A memory cgroup with a limit, removed by :meth:`remove` once its processes are dead."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, name: str, limit_bytes: int) -> MemoryCgroup | None:
        """A new group for the sandbox directory ``name``, capped at ``limit_bytes``.

        None where this machine offers no memory cgroup to agentkit.
        """
        parent = _own_memory_group()
        if parent is None or os.geteuid() != 0:
            return None
        path = parent / f"agentkit-{name}"
        try:
            path.mkdir()
        except OSError:
            return None
        group = cls(path)
        try:
            group._write("memory.limit_in_bytes", limit_bytes)
            # No swap here, but where there is, memory + swap is held to the same bound.
            if (path / "memory.memsw.limit_in_bytes").exists():
                group._write("memory.memsw.limit_in_bytes", limit_bytes)
        except OSError:
            group.remove()
            return None
        return group

    @property
    def procs_file(self) -> str:
        return str(self.path / "cgroup.procs")

    def usage_bytes(self) -> int:
        return int((self.path / "memory.usage_in_bytes").read_text())

    def max_usage_bytes(self) -> int:
        return int((self.path / "memory.max_usage_in_bytes").read_text())

    def remove(self, wait: float = 2.0) -> None:
        """Remove the group; the kernel refuses while a process (even a zombie) is in it."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    return  # left behind, empty soon; the next sweep removes it
                time.sleep(0.02)

    def _write(self, name: str, value: int) -> None:
        (self.path / name).write_text(str(value))


def join_prefix(group: MemoryCgroup) -> list[str]:
    """A command prefix: the shell joins ``group`` with its own pid, then execs the rest."""
    return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', group.procs_file]


def _own_memory_group() -> Path | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            group = MEMORY_ROOT / path.lstrip("/")
            return group if (group / "cgroup.procs").exists() else None
    return None


def sweep_stale_groups(live_names: Callable[[], set[str]]) -> None:
    """Remove the groups of sandbox directories that are gone.

    A group is made after its directory and removed before it, so a group without a
    directory belongs to an owner that died. The groups are listed before the
    directories (``live_names()``): a group made meanwhile is not seen at all. The
    kernel refuses to remove a group that still has processes; those are the next
    sweep's.
    """
    parent = _own_memory_group()
    if parent is None:
        return
    groups = list(parent.glob("agentkit-*"))
    live = live_names()
    for group in groups:
        if group.name.removeprefix("agentkit-") not in live:
            with contextlib.suppress(OSError):
                group.rmdir()
