"""The seccomp filter every sandboxed process runs under, built with libseccomp.

Namespaces, rlimits and an unprivileged uid leave the whole kernel interface open; a
cell could still make a user namespace (``unshare -Urm``: uid 0 with capabilities
there), mount, reach the keyrings of the agentkit process, or use the kernel's most
exploited interfaces (io_uring, userfaultfd, bpf, perf events). The filter refuses those
with ``EPERM`` and allows everything else: a deny list, because the kernel, coqc, z3
and sympy need the ordinary rest.

libseccomp is loaded through ctypes from Debian's ``libseccomp.so.2``: the Python
binding Debian ships (``python3-seccomp``) is for the system interpreter only, and no
binding on PyPI is kept up. The filter is exported as classic BPF once per process
(:func:`filter_bpf`); bubblewrap loads it (``--seccomp FD``), or, without bubblewrap,
``agentkit/_seccomp_exec.py`` does, just before the command runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os

ALLOW = 0x7FFF0000


def _errno_action(number: int) -> int:
    return 0x00050000 | (number & 0xFFFF)


DENIED = (
    # namespaces and mounts: the sandbox's own are made by bubblewrap before the filter
    "unshare", "setns", "mount", "umount2", "pivot_root", "fsopen", "fsmount",
    "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr",
    # keyrings: the host's session keyring, and a uid's user keyring that outlives it
    "keyctl", "add_key", "request_key",
    # interfaces with a long record of kernel exploits, needed by none of our tools
    "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "perf_event_open", "bpf",
    # other processes' memory
    "ptrace", "process_vm_readv", "process_vm_writev",
    # the machine itself
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "reboot", "swapon", "swapoff", "acct",
)  # fmt: skip

# clone(2) flags that make a new namespace; clone's flags are its first argument on
# x86_64 and aarch64 (the architectures these machines run).
NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x00000080,  # CLONE_NEWTIME
)
_CMP_MASKED_EQ = 7


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class SeccompUnavailable(Exception):
    """libseccomp is missing, or could not build the filter; the reason is the message."""


@functools.cache
def _library() -> ctypes.CDLL:
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name, use_errno=True)
    except OSError as exc:
        raise SeccompUnavailable(
            f"libseccomp is missing ({exc}); install it (apt-get install libseccomp2)"
        ) from None
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(_ArgCmp),
    ]  # fmt: skip
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    return lib


class _Filter:
    """One libseccomp filter context: default allow, rules added by name."""

    def __init__(self) -> None:
        self.lib = _library()
        self.ctx = self.lib.seccomp_init(ALLOW)
        if not self.ctx:
            raise SeccompUnavailable("libseccomp could not make a filter (seccomp_init failed)")

    def refuse(self, name: str, number: int = errno.EPERM, *conditions: _ArgCmp) -> None:
        nr = self.lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            return  # a system call this architecture does not have
        array = (_ArgCmp * len(conditions))(*conditions) if conditions else None
        rc = self.lib.seccomp_rule_add_array(
            self.ctx, _errno_action(number), nr, len(conditions), array
        )
        if rc < 0:
            raise SeccompUnavailable(f"libseccomp refused the rule for {name}: {os.strerror(-rc)}")

    def export(self) -> bytes:
        read, write = os.pipe()
        try:
            rc = self.lib.seccomp_export_bpf(self.ctx, write)
            os.close(write)
            write = -1
            if rc < 0:
                raise SeccompUnavailable(f"libseccomp could not export: {os.strerror(-rc)}")
            return _read_all(read)
        finally:
            os.close(read)
            if write >= 0:
                os.close(write)

    def release(self) -> None:
        self.lib.seccomp_release(self.ctx)


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


@functools.cache
def filter_bpf() -> bytes:
    """The filter as classic BPF (``struct sock_filter`` records), for bwrap or prctl.

    Raises :class:`SeccompUnavailable` with the reason when libseccomp cannot build it.
    """
    rules = _Filter()
    try:
        for name in DENIED:
            rules.refuse(name)
        for flag in NAMESPACE_FLAGS:
            rules.refuse("clone", errno.EPERM, _ArgCmp(0, _CMP_MASKED_EQ, flag, flag))
        # clone3 passes its flags in memory, where a filter cannot look; ENOSYS makes
        # glibc fall back to clone, whose flags are checked above.
        rules.refuse("clone3", errno.ENOSYS)
        _refuse_personality_changes(rules)
        return rules.export()
    finally:
        rules.release()


def _refuse_personality_changes(rules: _Filter) -> None:
    """Refuse ``personality(x)`` unless x is the default (0) or the query (0xffffffff).

    libseccomp cannot test one argument twice in a rule, and rules are or-ed: so the
    rule is "some bit i is set and the next bit (cyclically) is clear", which holds for
    exactly the 32-bit values that are neither all zeros nor all ones (the kernel reads
    only the low 32 bits).
    """
    for bit in range(32):
        mask = (1 << bit) | (1 << ((bit + 1) % 32))
        rules.refuse("personality", errno.EPERM, _ArgCmp(0, _CMP_MASKED_EQ, mask, 1 << bit))


def availability() -> str | None:
    """None when the filter can be built here, else why not (one line)."""
    try:
        filter_bpf()
    except SeccompUnavailable as exc:
        return str(exc)
    return None
