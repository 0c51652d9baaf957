"""Cgroups per sandbox: bounds on all its processes together, where rlimits are per process.

``RLIMIT_AS`` is per process: three children of 1 GiB each pass a 2 GiB limit. A memory
cgroup counts them together, and the kernel's OOM killer stops one of them at the
limit. ``RLIMIT_CPU`` is per process too: a cpuacct cgroup adds up the CPU time of all
of them, which :class:`~agentkit.sandbox.Sandbox` checks against a session limit.

These machines have cgroups v1 (a hierarchy per controller under ``/sys/fs/cgroup``);
a sandbox's group is made under the agentkit process's own, which root may write.
Where that is not possible (no controller, not root) there is no such group, and
:attr:`Sandbox.memory_bound` says what the limit really is.

A process joins its groups by writing its own pid to their ``cgroup.procs`` before it
execs the rest of the sandbox's command (:func:`join_prefix`), so nothing it starts
escapes: children are born in their parent's groups, and only root may move a process.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


class Cgroup:
    """One sandbox's group in one controller, removed by :meth:`remove` once it is empty."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, controller: str, name: str, settings: dict[str, int]) -> Cgroup | None:
        """A new group for the sandbox directory ``name``, with ``settings`` written.

        None where this machine offers no such group to agentkit.
        """
        parent = own_group(controller)
        if parent is None or os.geteuid() != 0:
            return None
        path = parent / f"agentkit-{name}"
        try:
            path.mkdir()
        except OSError:
            return None
        group = cls(path)
        try:
            for key, value in settings.items():
                (path / key).write_text(str(value))
        except OSError:
            group.remove()
            return None
        return group

    @property
    def procs_file(self) -> str:
        return str(self.path / "cgroup.procs")

    def read_int(self, name: str) -> int:
        return int((self.path / name).read_text())

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


def memory_group(name: str, limit_bytes: int) -> Cgroup | None:
    """A memory group capped at ``limit_bytes`` (memory and swap together, where swap is)."""
    settings = {"memory.limit_in_bytes": limit_bytes}
    parent = own_group("memory")
    if parent is not None and (parent / "memory.memsw.limit_in_bytes").exists():
        settings["memory.memsw.limit_in_bytes"] = limit_bytes
    return Cgroup.create("memory", name, settings)


def cpu_group(name: str) -> Cgroup | None:
    """A cpuacct group: it only counts (``cpuacct.usage``, nanoseconds)."""
    return Cgroup.create("cpuacct", name, {})


def join_prefix(groups: list[Cgroup]) -> list[str]:
    """A command prefix: a shell joins ``groups`` with its own pid, then execs the rest."""
    script = (
        'n=$0; while [ "$n" -gt 0 ]; do echo $$ > "$1" || exit 125; shift; n=$((n - 1)); done; '
        'exec "$@"'
    )
    return ["/bin/sh", "-c", script, str(len(groups)), *(group.procs_file for group in groups)]


class CpuBudget:
    """The CPU time of all of a sandbox's processes together, held to ``seconds``.

    A cgroup cannot stop a group at a CPU total, so a thread looks at the sum a few
    times a second and calls ``exhausted`` (which kills the sandbox's processes) once
    it is past the budget: the budget is kept to within about ``interval`` of CPU time
    per core.
    """

    def __init__(
        self, group: Cgroup, seconds: float, exhausted: Callable[[], None], interval: float = 0.25
    ) -> None:
        self.group = group
        self.seconds = seconds
        self.spent = False
        self._exhausted = exhausted
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="agentkit-cpu-budget", daemon=True)
        self._thread.start()

    def used(self) -> float:
        """CPU seconds used so far by the sandbox's processes, living and dead."""
        try:
            return self.group.read_int("cpuacct.usage") / 1e9
        except OSError:
            return 0.0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            if self.used() > self.seconds:
                self.spent = True
                self._exhausted()
                return


def own_group(controller: str) -> Path | None:
    """This process's group in ``controller``'s v1 hierarchy, if it is mounted."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            group = CGROUP_ROOT / controller / path.lstrip("/")
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
    parents = [own_group(controller) for controller in ("memory", "cpuacct")]
    groups = [group for parent in parents if parent for group in parent.glob("agentkit-*")]
    live = live_names()
    for group in groups:
        if group.name.removeprefix("agentkit-") not in live:
            with contextlib.suppress(OSError):
                group.rmdir()


class SandboxGroups:
    """A sandbox's groups: memory (bounded by the kernel), cpuacct (a session budget).

    Either is None where the machine offers none, or the limit is not set.
    """

    def __init__(
        self, name: str, memory_mb: int, cpu_seconds: float | None, kill: Callable[[], None]
    ) -> None:
        self.memory = memory_group(name, memory_mb << 20) if memory_mb else None
        cpu = cpu_group(name) if cpu_seconds is not None else None
        self.cpu_budget = CpuBudget(cpu, cpu_seconds, kill) if cpu and cpu_seconds else None

    def joined(self) -> list[Cgroup]:
        """The groups every process of the sandbox starts in."""
        cpu = self.cpu_budget.group if self.cpu_budget else None
        return [group for group in (self.memory, cpu) if group is not None]

    def remove(self) -> None:
        if self.cpu_budget:
            self.cpu_budget.stop()
        for group in self.joined():
            group.remove()
