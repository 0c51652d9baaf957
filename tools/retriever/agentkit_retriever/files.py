"""Finding and reading the files an index covers.

Directories recurse in sorted order. Hidden files and directories (a leading dot, so
``.git`` and ``.env`` too) and tool directories (``node_modules``, ``__pycache__``,
virtual environments) are left out; a path named explicitly is always taken. Only
regular files are read (a FIFO would block forever), and a file is text only if it has
no NUL byte near its start and decodes as UTF-8.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages"})
MAX_FILE_BYTES = 64 * 1024 * 1024
BINARY_PROBE = 8192


class Unreadable(Exception):
    """This file cannot be indexed; the message is the reason, for a warning line."""


@dataclass(frozen=True)
class FileData:
    path: Path
    data: bytes
    digest: str
    mtime: float
    size: int

    def text(self) -> str:
        """The content as text, with Windows line ends made plain."""
        if b"\0" in self.data[:BINARY_PROBE]:
            raise Unreadable("binary file")
        try:
            text = self.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Unreadable("not UTF-8 text") from None
        return text.replace("\r\n", "\n")


def walk(root: Path) -> Iterator[Path]:
    """Every candidate file under ``root`` (``root`` itself when it is a file)."""
    if not root.is_dir():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _skipped_dir(Path(dirpath), d))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def _skipped_dir(parent: Path, name: str) -> bool:
    if name.startswith(".") or name in SKIPPED_DIRS:
        return True
    return (parent / name / "pyvenv.cfg").exists()  # a virtual environment by any name


def read(path: Path) -> FileData:
    """The bytes of a regular file and their SHA-256, or :class:`Unreadable`."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise Unreadable(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise Unreadable(exc.strerror or str(exc)) from None
    digest = hashlib.sha256(data).hexdigest()
    return FileData(path, data, digest, info.st_mtime, len(data))


def under(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or inside it (both absolute)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
