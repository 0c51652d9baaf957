"""Helpers shared by the sandbox tests of every distribution (tests/ is on sys.path)."""

from __future__ import annotations

import fcntl
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from agentkit.sandbox import UID_BASE, processes_of

# Forks until fork fails, then reports how many it made and the errno, as JSON.
FORK_BOMB = """
import json, os, time
made, failure = 0, None
while failure is None:
    try:
        pid = os.fork()
    except OSError as exc:
        failure = exc.errno
        continue
    if pid == 0:
        try:  # every child forks on too, throttled only once the limit is reached
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.05)
        finally:
            os._exit(0)  # never return into the kernel's code
    made += 1
print(json.dumps({"made": made, "errno": failure}))
"""


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def assert_no_survivors(uid: int) -> bool:
    """No process runs as ``uid``, a released sandbox uid; False if it could not be checked.

    The uid's slot is locked while we look, so no concurrent sandbox can start processes
    under it. If one has reclaimed the slot already, its processes are not ours to count
    (and reclaiming killed whatever we left): the check is skipped.
    """
    slot = Path(tempfile.gettempdir(), "agentkit-sandboxes", "uid-slots", f"{uid - UID_BASE}.lock")
    with open(slot, "ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        try:
            assert wait_until(lambda: not processes_of(uid)), f"left running: {processes_of(uid)}"
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return True
