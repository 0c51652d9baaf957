"""The paths a kernel start needs, made afresh by the host for every start.

A cell can write wherever its sandbox lets it, and a restart must not inherit that.
Before, a cell that wrote ``~/.ipython/profile_default/startup/00.py`` (HOME is the
work directory) had its code run by every later start, so a startup file that exits
made the session unusable; and a directory made where the host expected an IPC socket
broke every later call with IsADirectoryError. So IPython's directory is agentkit's:
made empty by the host at each start (owned by the host, which the sandbox uid cannot
write to when the sandbox has a uid of its own), and passed with ``--ipython-dir``.
Whatever sits where the host needs a path is removed first, without following
symbolic links (``shutil.rmtree`` never follows them; a link itself is unlinked).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

# What IPython would otherwise create (and fail to, in a directory it cannot write).
PROFILE_DIRS = {"startup": 0o755, "log": 0o755, "pid": 0o700, "security": 0o700}


def remove(path: Path) -> None:
    """Remove whatever is at ``path`` (file, socket, link, directory tree); never follow links."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def fresh_dir(path: Path, mode: int = 0o755) -> Path:
    """An empty directory at ``path``, whatever was there before, owned by this process."""
    remove(path)
    path.mkdir(mode=mode)
    path.chmod(mode)  # mkdir's mode is masked by the umask
    return path


def fresh_ipython_dir(path: Path) -> Path:
    """An empty IPython directory with a default profile and no startup files."""
    fresh_dir(path)
    (path / "README").touch(mode=0o644)
    for name in ("extensions", "nbextensions"):
        fresh_dir(path / name)
    profile = fresh_dir(path / "profile_default")
    for name, mode in PROFILE_DIRS.items():
        fresh_dir(profile / name, mode)
    return path


def open_log(path: Path) -> int:
    """Open ``path`` for appending (0600: the log may hold a cell's output) without links."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW
    try:
        return os.open(path, flags, 0o600)
    except OSError:  # a link, a directory or a socket planted in its place
        remove(path)
        return os.open(path, flags, 0o600)


def pin_socket(path: Path, uid: int) -> int:
    """A descriptor of the Unix socket at ``path``, or OSError if something else is there.

    The descriptor (``O_PATH``, links not followed) names the socket file itself: a
    connection made to ``/proc/self/fd/<it>`` reaches that socket, and so does every
    reconnection ZMQ makes on its own, whatever a cell later puts at ``path``. Before,
    the host connected to the path, so a cell that replaced its socket files with links
    to a socket of the host's and then killed its kernel had ZMQ reconnect there (every
    100 ms, until agentkit noticed the death). A link, a file, or a socket of another
    owner than the kernel's uid is refused.
    """
    fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        info = os.fstat(fd)
        if not stat.S_ISSOCK(info.st_mode) or info.st_uid != uid:
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not the kernel's socket"
            raise OSError(f"{path.name} is {kind}")
    except BaseException:
        os.close(fd)
        raise
    return fd


def is_socket(path: Path) -> bool:
    """True when ``path`` itself (not a link's target) is a Unix socket."""
    try:
        return stat.S_ISSOCK(path.lstat().st_mode)
    except OSError:
        return False
