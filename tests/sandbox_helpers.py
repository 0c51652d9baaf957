"""Helpers shared by the sandbox tests of every distribution (tests/ is on sys.path)."""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agentkit.sandbox import UID_BASE, bwrap_path, processes_of

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

# How long assert_no_survivors waits for a slot that another sandbox holds meanwhile.
SLOT_WAIT = 30.0


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def assert_no_survivors(uid: int, slot_wait: float = SLOT_WAIT) -> None:
    """Assert that no process runs as ``uid``, a released sandbox uid.

    The uid's slot is locked while we look, so no concurrent sandbox can start processes
    under it. If another sandbox (a concurrent test run) holds the slot, we wait for it,
    up to ``slot_wait`` seconds, then fail: the check is never skipped. Whatever that
    sandbox runs is gone once it has released the slot, and ours was killed when it took
    the slot, so after the wait "nothing runs as ``uid``" is still the claim to check.
    """
    slot = Path(tempfile.gettempdir(), "agentkit-sandboxes", "uid-slots", f"{uid - UID_BASE}.lock")
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(slot, flags, 0o600)
    try:

        def locked() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        assert wait_until(locked, slot_wait), (
            f"could not check for survivors of uid {uid}: another sandbox held its slot "
            f"{slot} for {slot_wait:g} s"
        )
        try:
            assert wait_until(lambda: not processes_of(uid)), f"left running: {processes_of(uid)}"
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def require_bwrap() -> None:
    """Skip, with the reason, where agentkit finds no bubblewrap (tests/conftest.py turns
    the skip into a failure in CI, which must install it)."""
    if bwrap_path() is None:
        pytest.skip("bubblewrap (bwrap) is not available: apt-get install bubblewrap")
