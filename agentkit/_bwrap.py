"""The bubblewrap side of the sandbox: what the inside sees of the host filesystem."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# /etc entries a program needs; the rest of /etc (shadow, ssh keys, ...) stays outside.
ETC_FILES = (
    "/etc/alternatives",
    "/etc/ca-certificates",
    "/etc/fonts",
    "/etc/group",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/ssl",
)


def private_tmp_args(size_mb: int) -> list[str]:
    """Private, size-capped /tmp and /dev/shm.

    bwrap makes a tmpfs mode 0755 owned by root, which the sandbox uid could not write
    to: they must be world-writable and sticky, as on the host (multiprocessing's
    semaphores live in /dev/shm).
    """
    args: list[str] = []
    for private in ("/tmp", "/dev/shm"):
        args += ["--perms", "1777", "--size", str(size_mb << 20), "--tmpfs", private]
    return args


def view_args(readonly: tuple[str, ...], writable: tuple[str, ...], root: Path) -> list[str]:
    """The system read-only, this Python, the extra paths, and the sandbox's own root."""
    mounts = _system_view()
    mounts += [("--ro-bind-try", p) for p in _python_paths() + list(readonly)]
    mounts += [("--bind", path) for path in writable]
    mounts.append(("--bind", str(root)))
    return _mount_args(mounts)


def _system_view() -> list[tuple[str, str]]:
    """Read-only /usr and the merged-/usr links, plus the harmless parts of /etc."""
    mounts = [("--ro-bind", "/usr")]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            mounts.append(("--symlink", top))
        elif os.path.isdir(top):
            mounts.append(("--ro-bind", top))
    mounts += [("--ro-bind-try", path) for path in ETC_FILES if os.path.exists(path)]
    return mounts


def _mount_args(mounts: list[tuple[str, str]]) -> list[str]:
    """bwrap arguments for ``(operation, path)`` mounts at the same path inside.

    bwrap makes missing parent directories mode 0700, which the sandbox uid could not
    traverse; so every parent is made first, explicitly, mode 0755.
    """
    args: list[str] = []
    made = {"/", "/tmp", "/proc", "/dev"}
    for operation, path in mounts:
        for parent in reversed(Path(path).parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        if operation == "--symlink":
            args += ["--symlink", os.readlink(path), path]
        else:
            args += [operation, path, path]
        made.add(path)
    return args


def _python_paths() -> list[str]:
    """This interpreter and its environment, which sandboxed Python workers reuse."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), sys.prefix}
    return sorted(p for p in paths if not p.startswith("/usr/"))
