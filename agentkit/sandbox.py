"""The one way agentkit runs untrusted code: an OS boundary, not a Python one.

A :class:`Sandbox` is a private directory, a private unprivileged uid and a recipe
that turns a command line into a confined one:

``prlimit`` (rlimits: address space, file size, open files, processes, no core)
  -> ``bwrap`` (new mount, pid, net, ipc and uts namespaces; a read-only view of the
     system; only the sandbox's own directory writable; a private size-capped /tmp
     and /dev/shm; a cleared environment; a new session; dies with its parent)
  -> ``setpriv`` (drop to the sandbox uid with no capabilities and no new privileges)
  -> the command.

Why a uid of its own: ``RLIMIT_NPROC`` is ignored for root, and agentkit often runs as
root; under its own uid a fork bomb stops at the process limit, and every process the
sandbox ever made can be found and killed by uid (:meth:`Sandbox.kill_all`), even a
daemon that left the process group. The uid comes from a slot locked with ``flock``,
so concurrent agentkit processes never share one and a crashed owner frees its slot.

Without bubblewrap the command runs with the rlimits and the uid alone, after a loud
warning; ``sandbox = "required"`` (config) or ``AGENTKIT_SANDBOX=required`` refuses
instead. ``AGENTKIT_BWRAP`` names the bwrap binary (empty: behave as if absent).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from agentkit.config import load_settings, settings_from_table
from agentkit.errors import AgentkitError

Mode = Literal["auto", "required", "off"]

UID_BASE = 2_100_000_000  # far from system, user and subuid ranges
UID_SLOTS = 4096
INSIDE_PATH = "/usr/local/bin:/usr/bin:/bin"
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


class SandboxError(AgentkitError):
    """The sandbox could not be set up, or was required and is not available."""


class SandboxWarning(UserWarning):
    """Untrusted code is about to run with less isolation than it should have."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for everything inside one sandbox."""

    memory_mb: int = 2048  # address space per process (RLIMIT_AS)
    file_size_mb: int = 256  # largest file a process may write (RLIMIT_FSIZE)
    open_files: int = 1024  # per process (RLIMIT_NOFILE)
    processes: int = 128  # processes and threads of the sandbox uid together (RLIMIT_NPROC)
    tmp_size_mb: int = 256  # the private /tmp, and the private /dev/shm (each)
    cpu_seconds: int | None = None  # per process (RLIMIT_CPU); None: no limit

    @classmethod
    def from_config(cls, **overrides: Any) -> SandboxLimits:
        """Defaults, then ``[sandbox_limits]`` from the config file, then ``overrides``."""
        return settings_from_table(cls, "sandbox_limits", **overrides)


@dataclass(frozen=True)
class SandboxPolicy:
    """How to confine: the mode, the limits and what the inside may see."""

    mode: Mode = "auto"
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    network: bool = False
    readonly_paths: tuple[str, ...] = ()  # extra host paths visible read-only, same path
    writable_paths: tuple[str, ...] = ()  # extra host paths visible and writable, same path
    env: tuple[tuple[str, str], ...] = ()  # the only environment the inside gets (+PATH, HOME)
    # The command is the pid namespace's init (bubblewrap only): the processes it starts
    # cannot stop, kill or signal it (the kernel drops signals an init has no handler
    # for), so it can supervise code that must not reach it. It must reap orphans.
    command_is_init: bool = False

    @classmethod
    def from_config(cls, **limit_overrides: Any) -> SandboxPolicy:
        mode = os.environ.get("AGENTKIT_SANDBOX") or load_settings().sandbox
        if mode not in ("auto", "required", "off"):
            raise SandboxError(f"AGENTKIT_SANDBOX must be auto, required or off, not {mode!r}")
        return cls(mode=mode, limits=SandboxLimits.from_config(**limit_overrides))  # type: ignore[arg-type]


def bwrap_path() -> str | None:
    """The bubblewrap binary, or None when it is not installed (or switched off)."""
    configured = os.environ.get("AGENTKIT_BWRAP")
    if configured is not None:
        # A path or a name on PATH, like every other tool setting; empty: switched off.
        return shutil.which(configured) if configured else None
    return shutil.which("bwrap")


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
        self._check_isolation(label)
        self._slot = _UidSlot.acquire() if is_root() else None
        self.uid = self._slot.uid if self._slot else os.getuid()
        self.gid = self.uid if self._slot else os.getgid()
        if self._slot:
            kill_uid(self.uid)  # a crashed previous owner may have left processes behind
        base = Path(tempfile.gettempdir()) / "agentkit-sandboxes"
        base.mkdir(mode=0o711, exist_ok=True)
        self.root = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=base))
        self.root.chmod(0o711)
        self.workdir = self.subdir("work")
        self.closed = False

    @property
    def isolated(self) -> bool:
        """True when namespaces (bubblewrap) confine the inside, not only rlimits."""
        return self.bwrap is not None

    def _check_isolation(self, label: str) -> None:
        if self.bwrap is not None:
            return
        if self.policy.mode == "required":
            raise SandboxError(
                "bubblewrap (bwrap) is not available and the sandbox is required; "
                'install it (apt-get install bubblewrap) or set sandbox = "auto"'
            )
        reason = "sandbox = off" if self.policy.mode == "off" else "bubblewrap (bwrap) is missing"
        warnings.warn(
            f"{label}: {reason}: untrusted code runs with rlimits and its own uid only, "
            "with no filesystem or network isolation; install bubblewrap",
            SandboxWarning,
            stacklevel=3,
        )

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
        path = self.root / name
        path.mkdir(mode=0o700 if owned_by_sandbox else 0o755, exist_ok=True)
        if owned_by_sandbox and self._slot:
            os.chown(path, self.uid, self.gid)
        return path

    def command(self, argv: list[str], *, cwd: Path | None = None) -> list[str]:
        """``argv`` wrapped in the limits, the namespaces and the uid drop."""
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
        return [*self._prlimit_args(), "--", *inner]

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
        }

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
        shutil.rmtree(self.root, ignore_errors=True)
        if self._slot:
            self._slot.release()

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
        args += ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
        if not self.policy.network:
            args.append("--unshare-net")
        if not is_root():
            args.append("--unshare-user")  # unprivileged bwrap needs its own user namespace
        args += ["--hostname", "agentkit-sandbox"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        # Private and size-capped. bwrap makes a tmpfs mode 0755 owned by root, which the
        # sandbox uid could not write to: they must be world-writable and sticky, as on
        # the host (multiprocessing's semaphores live in /dev/shm).
        for private in ("/tmp", "/dev/shm"):
            size = str(self.policy.limits.tmp_size_mb << 20)
            args += ["--perms", "1777", "--size", size, "--tmpfs", private]
        mounts = _system_view()
        mounts += [("--ro-bind-try", p) for p in _python_paths() + list(self.policy.readonly_paths)]
        mounts += [("--bind", path) for path in self.policy.writable_paths]
        mounts.append(("--bind", str(self.root)))
        args += _mount_args(mounts)
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


def kill_uid(uid: int) -> None:
    """SIGKILL every process owned by ``uid`` (``kill -1`` from that uid reaches exactly them)."""
    subprocess.run(
        ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "kill", "-9", "-1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=10,
        check=False,
    )


def processes_of(uid: int) -> list[int]:
    """Host pids of the live processes running as ``uid`` (real, effective or saved).

    Zombies are left out: they run nothing, and one reparented to the host's init
    waits for it to reap, which can take seconds (about 2 s on these machines), long
    after :func:`kill_uid` has done its work.
    """
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _runs_as(entry, uid):
            pids.append(int(entry))
    return pids


def _runs_as(pid: str, uid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
    except OSError:  # gone meanwhile
        return False
    if fields.get("State", "").split()[:1] in (["Z"], ["X"]):
        return False
    return str(uid) in fields.get("Uid", "").split()[:3]


class _UidSlot:
    """A uid reserved for one sandbox, held by an exclusive ``flock`` on a slot file."""

    def __init__(self, uid: int, handle: IO[bytes]) -> None:
        self.uid = uid
        self._handle = handle

    @classmethod
    def acquire(cls) -> _UidSlot:
        slots = Path(tempfile.gettempdir()) / "agentkit-sandboxes" / "uid-slots"
        slots.mkdir(parents=True, exist_ok=True, mode=0o700)
        start = uuid.uuid4().int % UID_SLOTS  # spread out, so lock attempts rarely collide
        for offset in range(UID_SLOTS):
            slot = (start + offset) % UID_SLOTS
            handle = open(slots / f"{slot}.lock", "ab")  # noqa: SIM115 (held for the slot's life)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            return cls(UID_BASE + slot, handle)
        raise SandboxError(f"all {UID_SLOTS} sandbox uids are in use")

    def release(self) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()
