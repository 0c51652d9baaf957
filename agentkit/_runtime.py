"""The threads and the event loop that tool and model calls run on.

Hook wrappers are plain synchronous generators (pluggy), so every call runs its hook
chain in a worker thread from :data:`CALL_EXECUTOR`. Async tools then run on one
long-lived event loop, :func:`runtime_loop`, owned by a daemon thread: stateful async
tools (a pool of kernels, say) always see the same loop, whether they were called
from synchronous code, from the CLI or from an async workflow.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

# Sized for many parallel plan steps: these threads mostly wait on I/O or on the loop.
CALL_EXECUTOR = ThreadPoolExecutor(max_workers=128, thread_name_prefix="agentkit-call")
# Synchronous tools that have a timeout run here, so the caller can stop waiting.
TIMED_EXECUTOR = ThreadPoolExecutor(max_workers=64, thread_name_prefix="agentkit-timed")

_loop: asyncio.AbstractEventLoop | None = None
_loop_thread: threading.Thread | None = None
_loop_lock = threading.Lock()


def runtime_loop() -> asyncio.AbstractEventLoop:
    """The shared event loop for async tools, started on first use."""
    global _loop, _loop_thread
    if _loop is not None:
        return _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _loop_thread = threading.Thread(target=serve, name="agentkit-loop", daemon=True)
            _loop_thread.start()
            ready.wait()
            _loop = loop
    return _loop


def on_runtime_loop() -> bool:
    """True when the current thread is the runtime loop's (blocking there would deadlock)."""
    return _loop_thread is not None and threading.current_thread() is _loop_thread


def on_event_loop() -> bool:
    """True when an event loop runs in the current thread (any loop, not only ours)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
