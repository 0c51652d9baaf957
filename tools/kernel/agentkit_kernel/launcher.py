"""The kernel's entry point inside the sandbox: ipykernel's launcher with two repairs.

It runs as ``python -c <this file's source>``: the sandbox mounts the Python
environment but not agentkit's source tree, so this file imports nothing from agentkit
and is passed as text (see :func:`agentkit_kernel.kernel.KernelSettings.kernel_argv`).

1. jupyter_client's packer cannot encode a lone surrogate: ``print('\\ud800')`` made
   the kernel drop the message (the output was lost, and an error was replaced by a
   UnicodeEncodeError). Such a message is sent as ASCII JSON instead, with ``\\ud800``
   escapes, which the client's JSON decoder accepts; CellOutput escapes it for display.
2. ipykernel sends a thread's output under the parent header of whichever cell runs at
   that moment, so a background thread started by one cell printed into the next ones.
   Threads started by a cell, and thread-pool work items, inherit the cell's context,
   so their output belongs to the cell that started them; once that cell is over, the
   client discards it.
"""

from __future__ import annotations

import contextvars
import json
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def ascii_fallback(pack: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """``pack``, or ASCII JSON for a message that holds a lone surrogate."""
    from jupyter_client.jsonutil import json_default

    def pack_safely(obj: Any) -> bytes:
        try:
            return pack(obj)
        except UnicodeEncodeError:
            text = json.dumps(obj, default=json_default, ensure_ascii=True, allow_nan=False)
            return text.encode("ascii")

    return pack_safely


def inherit_context_in_threads() -> None:
    """New threads and thread-pool work items run in a copy of their starter's context."""
    start = threading.Thread.start
    submit = ThreadPoolExecutor.submit

    def start_in_context(self: threading.Thread) -> None:
        context = contextvars.copy_context()
        run = self.run
        self.run = lambda: context.run(run)  # type: ignore[method-assign]
        start(self)

    def submit_in_context(self: ThreadPoolExecutor, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        return submit(self, contextvars.copy_context().run, fn, *args, **kwargs)

    threading.Thread.start = start_in_context  # type: ignore[method-assign]
    ThreadPoolExecutor.submit = submit_in_context  # type: ignore[method-assign]


def main() -> None:
    # As ipykernel_launcher: no imports from the working directory while loading.
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize()
    app.session.pack = ascii_fallback(app.session.pack)
    # After initialize: ipykernel's own threads (I/O, control, the pipe watchers that
    # forward subprocess output) keep its behaviour; only threads made by cells change.
    inherit_context_in_threads()
    app.start()


if __name__ == "__main__":
    main()
