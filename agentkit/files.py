"""Writing a file whole or not at all, for everything agentkit saves for the user."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any


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


def save_figure(figure: Any, path: str | Path, **options: Any) -> None:
    """A matplotlib figure as PNG at ``path``, written whole or not at all."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **options)
    write_atomically(path, buffer.getvalue())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
