"""Functions the worker tests call inside a sandboxed worker (imports nothing from agentkit)."""

import os
import signal
import sys
import time

STARTED_AT = time.time()  # module-level state: shows the module is imported once per worker


def echo(**kwargs):
    return kwargs


def started_at():
    return STARTED_AT


def identity():
    return {"uid": os.getuid(), "pid": os.getpid(), "cwd": os.getcwd()}


def noisy(text):
    print("noise on stdout " * 100)
    sys.stdout.flush()
    os.write(1, b"raw noise on fd 1\n")
    return text.upper()


def sleep(seconds):
    time.sleep(seconds)
    return seconds


def spin():
    while True:
        pass


def fail(message):
    raise ValueError(message)


def die(message):
    print(message, file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def not_json():
    return {1, 2, 3}


def allocate(megabytes):
    block = bytearray(megabytes << 20)
    return len(block)


def reply_of(size):
    return "x" * size


def _hidden():
    return "private"


def agentkit_version():
    import agentkit

    return agentkit.__version__


def can_read(path):
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False


CALLS = 0


def count_calls():
    """How many times this worker has been called, this call included."""
    global CALLS
    CALLS += 1
    return CALLS
