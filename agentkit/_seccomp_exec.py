"""Load the sandbox's seccomp filter, then exec the rest: for when bubblewrap is absent.

Run as ``python -I -S _seccomp_exec.py FD -- argv...``: ``FD`` holds the filter as
classic BPF (from :func:`agentkit._seccomp.filter_bpf`). Standalone, imports nothing of
agentkit: it runs before the command in the sandbox's own command chain.
"""

import ctypes
import os
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load(program: bytes) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    # no_new_privs lets an unprivileged process install a filter; the uid drop after
    # this sets it anyway.
    if (
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
        or libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0
    ):
        reason = os.strerror(ctypes.get_errno())
        sys.exit(f"agentkit sandbox: could not load the seccomp filter: {reason}")


def main() -> None:
    fd, separator, *argv = sys.argv[1:]
    if separator != "--" or not argv:
        sys.exit("usage: _seccomp_exec.py FD -- command...")
    program = os.pread(int(fd), 1 << 20, 0)
    os.close(int(fd))
    load(program)
    os.execvp(argv[0], argv)


main()
