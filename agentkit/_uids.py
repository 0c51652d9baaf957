"""Finding and killing every process of a sandbox uid, from the host."""

from __future__ import annotations

import os
import subprocess


def kill_uid(uid: int) -> None:
    """SIGKILL every process owned by ``uid`` (``kill -1`` from that uid reaches exactly them)."""
    subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "kill", "-9", "-1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=10,
        check=False,
    )


def processes_of(uid: int) -> list[int]:
    """Host pids of the live processes running as ``uid`` (real, effective or saved).

    Zombies are left out: they run nothing, and one reparented to the host's init
    waits for it to reap, which can take seconds (about 2 s on these machines), long
    after :func:`kill_uid` has done its work.
    """
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _runs_as(entry, uid):
            pids.append(int(entry))
    return pids


def _runs_as(pid: str, uid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
    except OSError:  # gone meanwhile
        return False
    if fields.get("State", "").split()[:1] in (["Z"], ["X"]):
        return False
    return str(uid) in fields.get("Uid", "").split()[:3]
