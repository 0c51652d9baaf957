"""Writing a file whole or not at all, for everything agentkit saves for the user; and
keeping private what only the user should read (the run store, the chat history)."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from agentkit.config import home


def write_atomically(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``:
    an interrupted save never leaves half a file, and a reader sees the old file or
    the new one. Text is written as UTF-8; the file gets the usual umask permissions."""
    path = Path(path).expanduser()
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 is for the temporary only
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def private_dir(path: Path) -> None:
    """Create the directory ``path`` (and missing parents) for its owner only (0700).

    An existing ``AGENTKIT_HOME`` is tightened too: earlier versions made it with the
    umask's mode. Any other existing directory is left alone; it may be shared (a
    store in ``/tmp``).
    """
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is cut by the umask, never widened
    elif path.resolve() == home().resolve():
        path.chmod(0o700)


def private_file(path: Path) -> None:
    """Create the file ``path`` if it is missing, and make it readable by its owner only.

    An existing file is never opened: closing any descriptor of a SQLite database
    drops every lock this process holds on it (POSIX locks are per process), which
    corrupts a database another thread is writing. A missing one is made 0600 aside
    and linked into place, so that it is never there with a wider mode.
    """
    if not path.exists():
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(handle)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # made by another process or thread in the meantime
        finally:
            os.unlink(temporary)
    path.chmod(0o600)


def save_figure(figure: Any, path: str | Path, **options: Any) -> None:
    """A matplotlib figure as PNG at ``path``, written whole or not at all."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **options)
    write_atomically(path, buffer.getvalue())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
