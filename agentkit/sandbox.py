"""The one way agentkit runs untrusted code: an OS boundary, not a Python one.

A :class:`Sandbox` is a private directory, a private unprivileged uid and a recipe
that turns a command line into a confined one:

``sh`` (joins the sandbox's cgroups: bounds on all its processes together)
  -> ``nice`` (below agentkit's scheduling priority)
  -> ``prlimit`` (rlimits: address space, file size, open files, processes, no core)
  -> ``bwrap`` (new mount, pid, net, ipc and uts namespaces; a read-only view of the
     system; only the sandbox's own directory writable; a private size-capped /tmp
     and /dev/shm; a cleared environment; a new session; dies with its parent; and
     the seccomp filter of :mod:`agentkit._seccomp`, given as a descriptor)
  -> ``setpriv`` (drop to the sandbox uid with no capabilities and no new privileges)
  -> the command.

Why a uid of its own: ``RLIMIT_NPROC`` is ignored for root, and agentkit often runs as
root; under its own uid a fork bomb stops at the process limit, and every process the
sandbox ever made can be found and killed by uid (:meth:`Sandbox.kill_all`), even a
daemon that left the process group. The uid comes from a slot locked with ``flock``,
so concurrent agentkit processes never share one and a crashed owner frees its slot.

Without bubblewrap the command runs with the rlimits, the uid and the seccomp filter
(loaded by ``_seccomp_exec.py``) alone, after a loud warning; likewise without
libseccomp, with no filter; ``sandbox = "required"`` (config) or
``AGENTKIT_SANDBOX=required`` refuses instead. ``AGENTKIT_BWRAP`` names the bwrap
binary (empty: behave as if absent).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from agentkit import _sandbox_dirs as dirs
from agentkit._bwrap import ETC_FILES, _python_paths, private_tmp_args, view_args
from agentkit._cgroup import SandboxGroups, join_prefix, sweep_stale_groups
from agentkit._sandbox_policy import (
    Mode,
    SandboxError,
    SandboxLimits,
    SandboxPolicy,
    SandboxWarning,
    bwrap_path,
    check_isolation,
)
from agentkit._seccomp import availability as seccomp_availability
from agentkit._seccomp import filter_bpf
from agentkit._uids import kill_uid, processes_of

__all__ = [  # the public names stay here; the parts live in private modules
    "ETC_FILES",
    "INSIDE_PATH",
    "UID_BASE",
    "UID_SLOTS",
    "Mode",
    "Sandbox",
    "SandboxError",
    "SandboxLimits",
    "SandboxPolicy",
    "SandboxRun",
    "SandboxWarning",
    "_python_paths",
    "bwrap_path",
    "is_root",
    "kill_uid",
    "processes_of",
]

UID_BASE = 2_100_000_000  # far from system, user and subuid ranges
UID_SLOTS = 4096
INSIDE_PATH = "/usr/local/bin:/usr/bin:/bin"
SECCOMP_EXEC = str(Path(__file__).with_name("_seccomp_exec.py"))


def is_root() -> bool:
    return os.geteuid() == 0


class Sandbox:
    """A private directory and uid for untrusted processes; :meth:`close` removes both.

    ``root`` (host path, the same inside) holds ``work/`` (the writable working
    directory) and whatever the caller adds with :meth:`subdir`.
    """

    def __init__(self, policy: SandboxPolicy | None = None, *, label: str = "sandbox") -> None:
        self.policy = policy or SandboxPolicy.from_config()
        self.bwrap = None if self.policy.mode == "off" else bwrap_path()
        self.seccomp_missing = seccomp_availability()
        check_isolation(self.policy.mode, self.bwrap, self.seccomp_missing, label)
        self.closed = True  # until everything below is made: close() then does nothing
        self._base = _open_base()
        try:
            self._make(label)
        except BaseException:
            self._release()
            raise
        self.closed = False

    def _make(self, label: str) -> None:
        self._sweep()
        self._slot = self._acquire_slot() if is_root() else None
        self.uid = self._slot.uid if self._slot else os.getuid()
        self.gid = self.uid if self._slot else os.getgid()
        if self._slot:
            kill_uid(self.uid)  # a crashed previous owner may have left processes behind
        name, self._root_fd = dirs.make_sandbox_dir(self._base, label)
        self.root = Path(dirs.base_path()) / name
        limits = self.policy.limits
        self.groups = SandboxGroups(
            name, limits.total_memory_mb, limits.session_cpu_seconds, self.kill_all
        )
        self.cgroup, self.cpu_budget = self.groups.memory, self.groups.cpu_budget
        if limits.session_cpu_seconds is not None and self.cpu_budget is None:
            warnings.warn(
                "no cpuacct cgroup here: session_cpu_seconds is not enforced, only "
                "cpu_seconds (per process)",
                SandboxWarning,
                stacklevel=4,
            )
        self._filter_fd = None if self.seccomp_missing else _filter_memfd()
        self.workdir = self.subdir("work")

    def _sweep(self) -> None:
        """Remove what SIGKILLed owners left: their directories and memory cgroups."""
        held = lambda uid: dirs.UidSlot.held(self._base, UID_BASE, uid)  # noqa: E731
        dirs.sweep_stale(self._base, held)
        sweep_stale_groups(lambda: set(os.listdir(self._base)))

    def cpu_seconds_used(self) -> float | None:
        """CPU time of all the sandbox's processes so far; None where it is not counted."""
        return self.cpu_budget.used() if self.cpu_budget else None

    def _acquire_slot(self) -> dirs.UidSlot:
        start = uuid.uuid4().int % UID_SLOTS  # spread out, so lock attempts rarely collide
        with _refusing_unsafe():
            slot = dirs.UidSlot.acquire(self._base, UID_BASE, UID_SLOTS, start)
        if slot is None:
            raise SandboxError(f"all {UID_SLOTS} sandbox uids are in use")
        return slot

    @property
    def isolated(self) -> bool:
        """True when namespaces (bubblewrap) confine the inside, not only rlimits."""
        return self.bwrap is not None

    @property
    def memory_bound(self) -> str:
        """What really bounds the sandbox's memory, in words."""
        per_process = f"{self.policy.limits.memory_mb} MiB of address space per process"
        if self.cgroup is None:
            return f"{per_process} only (no memory cgroup here: no bound on the total)"
        return f"{self.policy.limits.total_memory_mb} MiB in total, and {per_process}"

    def require_reachable(self, path: str | Path, what: str) -> None:
        """Raise one clear error when the inside cannot reach ``path`` on the host.

        Only matters without bubblewrap: the inside then sees the host filesystem as its
        own uid, and a private ancestor (a ``mktemp -d`` checkout, say) hides ``path``.
        """
        if self.isolated or not self._slot:
            return
        target = Path(os.path.realpath(path))
        for directory in reversed([target, *target.parents]):
            try:
                info = directory.stat()
            except OSError:
                return  # a missing path fails later, with the real error
            if info.st_uid != self.uid and not info.st_mode & 0o001:
                raise SandboxError(
                    f"without bubblewrap the sandbox uid {self.uid} cannot reach {what} "
                    f"({target}): {directory} is not searchable by others; install "
                    f"bubblewrap, or chmod o+x {directory}"
                )

    def subdir(self, name: str, *, owned_by_sandbox: bool = True) -> Path:
        """A directory under the sandbox root, writable from inside unless told otherwise."""
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700 if owned_by_sandbox else 0o755, dir_fd=self._root_fd)
        # Never through a symlink: only this process writes in the root, but it says so.
        fd = os.open(name, dirs.DIR_FLAGS, dir_fd=self._root_fd)
        try:
            if owned_by_sandbox and self._slot:
                os.fchown(fd, self.uid, self.gid)
        finally:
            os.close(fd)
        return self.root / name

    def command(self, argv: list[str], *, cwd: Path | None = None) -> list[str]:
        """``argv`` wrapped in the limits, the namespaces, the filter and the uid drop.

        Start it with :meth:`popen_kwargs`: they hand the seccomp filter's descriptor
        over (without it, bwrap refuses to start rather than run unfiltered).
        """
        if self.cpu_budget and self.cpu_budget.spent:
            raise SandboxError(
                f"the sandbox used up its CPU time ({self.cpu_budget.seconds} s, "
                "session_cpu_seconds); start a new session"
            )
        inner = list(argv)
        if self._slot:
            inner = [
                "setpriv",
                f"--reuid={self.uid}",
                f"--regid={self.gid}",
                "--clear-groups",
                "--inh-caps=-all",
                "--bounding-set=-all",
                "--no-new-privs",
                "--",
                *inner,
            ]
        if self.bwrap is not None:
            inner = [*self._bwrap_args(cwd or self.workdir), "--", *inner]
        elif self._filter_fd is not None:  # no bwrap to load the filter: a tiny loader does
            inner = [sys.executable, "-I", "-S", SECCOMP_EXEC, str(self._filter_fd), "--", *inner]
        # Below agentkit's scheduling priority; the sandbox uid can never raise it back.
        outer = ["nice", "-n", str(self.policy.limits.nice), *self._prlimit_args(), "--"]
        if self.groups.joined():
            outer = [*join_prefix(self.groups.joined()), *outer]
        return [*outer, *inner]

    def environment(self) -> dict[str, str]:
        """The whole environment the inside gets: nothing of the host's leaks in."""
        env = {
            "PATH": INSIDE_PATH,
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
            "TMPDIR": "/tmp" if self.isolated else str(self.subdir("tmp")),
        }
        env.update(dict(self.policy.env))
        return env

    def popen_kwargs(self, cwd: Path | None = None) -> dict[str, Any]:
        """Keyword arguments for ``subprocess.Popen`` / ``asyncio.create_subprocess_exec``."""
        return {
            "env": self.environment(),
            "cwd": str(cwd or self.workdir),
            "stdin": subprocess.DEVNULL,
            "start_new_session": True,  # without bwrap, still off the caller's terminal
            "close_fds": True,
            "pass_fds": self._fresh_filter_fd(),
        }

    def _fresh_filter_fd(self) -> tuple[int, ...]:
        """The filter's descriptor, read from its start by the next process started.

        bwrap reads the filter with read(2), which moves the offset that every process
        given the same open file shares; so each start gets a new open file in its place.
        """
        if self._filter_fd is None:
            return ()
        fresh = os.open(f"/proc/self/fd/{self._filter_fd}", os.O_RDONLY | os.O_CLOEXEC)
        os.dup2(fresh, self._filter_fd, inheritable=False)
        os.close(fresh)
        return (self._filter_fd,)

    def run(
        self,
        argv: list[str],
        *,
        input: bytes | None = None,
        timeout: float = 30.0,
        output_limit: int = 1 << 20,
    ) -> SandboxRun:
        """Run one command to completion (or timeout); keep at most ``output_limit`` bytes."""
        kwargs = self.popen_kwargs()
        kwargs["stdin"] = subprocess.PIPE if input is not None else subprocess.DEVNULL
        started = time.monotonic()
        # Files, not pipes: the child's writes are capped by its RLIMIT_FSIZE, and a
        # flood cannot fill this process's memory.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(self.command(argv), stdout=out, stderr=err, **kwargs)
            timed_out = False
            try:
                proc.communicate(input, timeout=timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                self.kill_all(proc)
            return SandboxRun(
                returncode=proc.returncode,
                stdout=_read_capped(out, output_limit),
                stderr=_read_capped(err, output_limit),
                timed_out=timed_out,
                seconds=time.monotonic() - started,
            )

    def kill_all(self, proc: subprocess.Popen[Any] | None = None) -> None:
        """Kill every process of this sandbox: the given one, and all of its uid."""
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
        if self._slot:
            kill_uid(self.uid)

    def close(self) -> None:
        """Kill what is left inside, delete the directory, give the uid back."""
        if self.closed:
            return
        self.closed = True
        self.kill_all()
        self._release()

    def _release(self) -> None:
        """Give back whatever :meth:`__init__` got, however far it got."""
        if getattr(self, "groups", None) is not None:
            self.groups.remove()
        if getattr(self, "_root_fd", None) is not None:
            shutil.rmtree(self.root.name, dir_fd=self._base, ignore_errors=True)
            os.close(self._root_fd)
        for fd in (getattr(self, "_filter_fd", None), self._base):
            if fd is not None:
                os.close(fd)
        if getattr(self, "_slot", None) is not None:
            self._slot.release()  # type: ignore[union-attr]

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _prlimit_args(self) -> list[str]:
        limits = self.policy.limits
        mib = 1 << 20
        args = [
            "prlimit",
            f"--as={limits.memory_mb * mib}",
            f"--fsize={limits.file_size_mb * mib}",
            f"--nofile={limits.open_files}",
            "--core=0",
        ]
        if self._slot:  # for a shared uid the count would include the caller's processes
            args.append(f"--nproc={limits.processes}")
        if limits.cpu_seconds is not None:
            args.append(f"--cpu={limits.cpu_seconds}")
        return args

    def _bwrap_args(self, cwd: Path) -> list[str]:
        assert self.bwrap is not None
        args = [self.bwrap, "--die-with-parent", "--new-session", "--clearenv"]
        if self.policy.command_is_init:
            args.append("--as-pid-1")
        if self._filter_fd is not None:
            args += ["--seccomp", str(self._filter_fd)]
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
        if not self.policy.network:
            args.append("--unshare-net")
        if not is_root():
            args.append("--unshare-user")  # unprivileged bwrap needs its own user namespace
        args += ["--hostname", "agentkit-sandbox"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        args += private_tmp_args(self.policy.limits.tmp_size_mb)
        policy = self.policy
        args += view_args(policy.readonly_paths, policy.writable_paths, self.root)
        args += ["--chdir", str(cwd)]
        for key, value in self.environment().items():
            args += ["--setenv", key, value]
        return args


@dataclass
class SandboxRun:
    """The outcome of :meth:`Sandbox.run`."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool
    seconds: float


def _read_capped(stream: IO[bytes], limit: int) -> bytes:
    stream.seek(0)
    return stream.read(limit)


def _open_base() -> int:
    with _refusing_unsafe():
        return dirs.open_base()


@contextlib.contextmanager
def _refusing_unsafe() -> Iterator[None]:
    """A planted directory or symlink is a one-line :class:`SandboxError`."""
    try:
        yield
    except dirs.UnsafeDirectory as exc:
        raise SandboxError(str(exc)) from None


def _filter_memfd() -> int:
    """The seccomp filter in an anonymous file: nothing on disk to swap or plant."""
    fd = os.memfd_create("agentkit-seccomp", os.MFD_CLOEXEC)
    os.write(fd, filter_bpf())
    return fd
