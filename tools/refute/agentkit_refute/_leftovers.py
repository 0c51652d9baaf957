"""What a sandboxed worker's children leave behind, and how it is cleared away.

Runs inside the sandbox, beside :mod:`agentkit_refute._inside`: the standard library only.
As its pid namespace's init (under bubblewrap), the supervisor sees only its own
sandbox's processes and must reap the orphans that are re-parented to it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat

SWEEP_ROUNDS = 20  # kill-and-look rounds for processes a program left behind
tracked: set[int] = set()  # pids the supervisor forked and has not waited for yet
_exited: dict[int, int] = {}  # wait statuses of tracked pids reaped early


def kill_group(pid: int) -> None:
    """SIGKILL a child and its process group (what it started and did not move away)."""
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def wait(pid: int) -> int:
    """The wait status of a child this supervisor forked (reaped now, or earlier)."""
    tracked.discard(pid)
    if pid in _exited:
        return _exited.pop(pid)
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return _exited.pop(pid, 0)


def reap() -> None:
    """Reap every exited child: as the namespace's init, orphans are ours to reap, or
    their zombies would count against the sandbox's process limit."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in tracked:
            _exited[pid] = status


def sweep(keep: set[int]) -> None:
    """Kill every process of this sandbox but ``keep`` (the live children) and theirs.

    Only as the namespace's init (under bubblewrap), where every other process in sight
    is user code of this worker; elsewhere killing process groups is all we can do. A
    process that forks while it is killed is found again in the next round.
    """
    if os.getpid() != 1:
        return
    for _ in range(SWEEP_ROUNDS):
        reap()
        parents = _parents()
        owned = set(keep)
        while more := {pid for pid, ppid in parents.items() if ppid in owned} - owned:
            owned |= more
        strays = set(parents) - owned - {1}
        if not strays:
            return
        for pid in strays:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    reap()


def _parents() -> dict[int, int]:
    """pid -> parent pid of every live process in this pid namespace."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                fields = file.read().rpartition(b")")[2].split()
        except OSError:
            continue
        if fields and fields[0] not in (b"Z", b"X"):
            parents[int(entry)] = int(fields[1])
    return parents


def wipe_scratch() -> None:
    """Empty the places a program may write to: the working directory, the temporary
    directory, and (private to this sandbox only under bubblewrap) /tmp and /dev/shm."""
    places = {os.getcwd(), os.environ.get("TMPDIR", "")}
    if os.getpid() == 1:
        places |= {"/tmp", "/dev/shm"}
    for place in filter(None, places):
        with contextlib.suppress(OSError):
            for entry in os.scandir(place):
                _remove(entry.path)


def _remove(path: str) -> None:
    """Delete ``path`` (never following a symlink), even where the program took away
    the write permission of a directory it made."""
    with contextlib.suppress(OSError):
        info = os.lstat(path)
        if not stat.S_ISDIR(info.st_mode):
            os.unlink(path)
            return
        os.chmod(path, 0o700)
        for entry in os.scandir(path):
            _remove(entry.path)
        os.rmdir(path)
