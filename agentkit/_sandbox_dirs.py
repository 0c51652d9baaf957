"""The shared base directory of every sandbox, and the files agentkit keeps in it.

``/tmp/agentkit-sandboxes`` sits in a world-writable directory, and agentkit often runs
as root: a local user who makes it first, or plants a symlink where a lock file or a
sandbox directory goes, could make root create, chown or delete files of their choice.
So the base must belong to the user agentkit runs as and be neither readable nor
writable by anyone else (checked on every start), and everything inside it is reached
from a directory descriptor without following symlinks (``O_NOFOLLOW``, ``dir_fd``).
The base keeps the search bit for others (0711): without bubblewrap, a sandbox uid
reaches its own directory on the host through it; names inside are random and cannot be
listed.

A sandbox directory is locked (``flock``) by its owner for its whole life, so one whose
owner was SIGKILLed (its work files, a kernel's connection file and key) is found
unlocked and removed by the next :func:`sweep_stale`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator

BASE_NAME = "agentkit-sandboxes"
SLOTS_NAME = "uid-slots"
BASE_MODE = 0o711
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafeDirectory(Exception):
    """A directory agentkit must not use; the message says which and what to do."""


def base_path() -> str:
    return os.path.join(tempfile.gettempdir(), BASE_NAME)


def open_base() -> int:
    """A descriptor of the base directory, made if missing, refused unless it is ours."""
    path = base_path()
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, BASE_MODE)
    fd = _open_dir(path, what="the sandbox base directory")
    try:
        _check_private(fd, path, BASE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_private_dir(parent: int, name: str, mode: int, *, parent_path: str) -> int:
    """``parent/name``, made if missing: a real directory owned by us, nobody else's."""
    with contextlib.suppress(FileExistsError):
        os.mkdir(name, mode, dir_fd=parent)
    path = os.path.join(parent_path, name)
    fd = _open_dir(name, what=path, dir_fd=parent)
    try:
        _check_private(fd, path, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_dir(path: str, *, what: str, dir_fd: int | None = None) -> int:
    try:
        return os.open(path, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeDirectory(
                f"{what} is a symlink or not a directory; agentkit will not use it: remove it"
            ) from None
        raise


def _check_private(fd: int, path: str, mode: int) -> None:
    info = os.fstat(fd)
    if info.st_uid != os.geteuid():
        raise UnsafeDirectory(
            f"{path} belongs to uid {info.st_uid}, not to uid {os.geteuid()} that agentkit "
            "runs as; another user may have planted it: remove it (or set TMPDIR)"
        )
    if stat.S_IMODE(info.st_mode) & 0o022:
        raise UnsafeDirectory(
            f"{path} is writable by other users (mode {stat.S_IMODE(info.st_mode):o}), "
            "so anything in it may be planted: remove it"
        )
    if stat.S_IMODE(info.st_mode) != mode:  # ours, merely too open (an older agentkit)
        os.fchmod(fd, mode)


def open_lock_file(directory: int, name: str) -> int:
    """A lock file in ``directory``, created 0600 if missing, never through a symlink."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(name, flags, 0o600, dir_fd=directory)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
    raise UnsafeDirectory(f"the lock file {name} is a symlink; agentkit will not follow it")


def try_lock(fd: int, kind: int = fcntl.LOCK_EX) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def shared_lock(fd: int) -> Iterator[None]:
    """Held while a sandbox directory is made and locked, so no sweep removes it meanwhile."""
    fcntl.flock(fd, fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def make_sandbox_dir(base: int, label: str) -> tuple[str, int]:
    """A new directory ``label-XXXX`` in the base, and its descriptor, locked for its owner."""
    with shared_lock(base):
        for _ in range(100):
            name = f"{label}-{secrets.token_hex(6)}"
            try:
                os.mkdir(name, 0o700, dir_fd=base)
            except FileExistsError:
                continue
            fd = os.open(name, DIR_FLAGS, dir_fd=base)
            fcntl.flock(fd, fcntl.LOCK_EX)  # ours and new: this never waits
            os.fchmod(fd, 0o711)  # the sandbox uid must reach work/ (and no more)
            return name, fd
    raise UnsafeDirectory("could not make a sandbox directory with a fresh name")


def sweep_stale(base: int, slot_held: Callable[[int], bool]) -> list[str]:
    """Remove sandbox directories whose owner is gone; the names removed.

    Skipped entirely when another process is making a sandbox right now (it holds the
    base's shared lock); the next start sweeps instead. ``slot_held(uid)`` says whether
    a live sandbox holds ``uid``: a directory of an agentkit from before these locks
    is kept while the uid that owns its work directory is in use.
    """
    if not try_lock(base):
        return []
    removed = []
    try:
        for name in os.listdir(base):
            if name != SLOTS_NAME and _is_stale(base, name, slot_held):
                shutil.rmtree(name, dir_fd=base, ignore_errors=True)
                removed.append(name)
    finally:
        fcntl.flock(base, fcntl.LOCK_UN)
    return removed


def _is_stale(base: int, name: str, slot_held: Callable[[int], bool]) -> bool:
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=base)
    except OSError:
        return False  # not a directory (or gone): not ours to sweep
    try:
        if not try_lock(fd):
            return False
        try:
            owner = os.stat("work", dir_fd=fd, follow_symlinks=False).st_uid
        except OSError:
            return True
        return owner == os.geteuid() or not slot_held(owner)
    finally:
        os.close(fd)  # also lets go of the lock


class UidSlot:
    """A uid reserved for one sandbox, held by an exclusive ``flock`` on a slot file."""

    def __init__(self, uid: int, fd: int) -> None:
        self.uid = uid
        self._fd = fd

    @classmethod
    def acquire(cls, base: int, uid_base: int, count: int, start: int) -> UidSlot | None:
        """The first free slot from ``start`` on (cyclically), or None when all are taken."""
        slots = open_private_dir(base, SLOTS_NAME, 0o700, parent_path=base_path())
        try:
            for offset in range(count):
                slot = (start + offset) % count
                fd = open_lock_file(slots, f"{slot}.lock")
                if try_lock(fd):
                    return cls(uid_base + slot, fd)
                os.close(fd)
        finally:
            os.close(slots)
        return None

    @staticmethod
    def held(base: int, uid_base: int, uid: int) -> bool:
        """Whether a live sandbox holds ``uid`` (its slot file is locked)."""
        try:
            slots = os.open(SLOTS_NAME, DIR_FLAGS, dir_fd=base)
        except OSError:
            return False
        try:
            fd = open_lock_file(slots, f"{uid - uid_base}.lock")
        finally:
            os.close(slots)
        try:
            return not try_lock(fd)
        finally:
            os.close(fd)

    def release(self) -> None:
        os.close(self._fd)  # closing the only descriptor lets go of the lock
