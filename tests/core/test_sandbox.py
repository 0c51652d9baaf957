"""The sandbox primitive through :meth:`Sandbox.run`: who the inside is, what it sees and uses.

Most tests run twice: with bubblewrap, and with bwrap switched off (``AGENTKIT_BWRAP=""``),
where the rlimits and the private uid must hold on their own. The uid drop needs root,
which is how agentkit runs on these machines.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import pty
import random
import select
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_helpers import FORK_BOMB, assert_no_survivors, wait_until

import agentkit
from agentkit import sandbox as sandbox_module
from agentkit.sandbox import (
    UID_BASE,
    Sandbox,
    SandboxError,
    SandboxLimits,
    SandboxPolicy,
    SandboxRun,
    SandboxWarning,
    _python_paths,
    processes_of,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop needs root")

needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None,
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap",
)

SMALL = SandboxLimits(file_size_mb=1, open_files=64, processes=32, tmp_size_mb=4)


def make_sandbox(monkeypatch: pytest.MonkeyPatch, mode: str, **limits: int) -> Sandbox:
    """A sandbox with small limits, with bubblewrap or (``rlimits``) without it."""
    policy = SandboxPolicy(mode="auto", limits=SandboxLimits(**{**vars(SMALL), **limits}))
    if mode == "bwrap":
        if shutil.which("bwrap") is None:
            pytest.skip("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
        return Sandbox(policy, label="test")
    monkeypatch.setenv("AGENTKIT_BWRAP", "")
    with pytest.warns(SandboxWarning, match="bubblewrap"):
        return Sandbox(policy, label="test")


@pytest.fixture(params=["bwrap", "rlimits"])
def box(request, monkeypatch) -> Iterator[Sandbox]:
    """A sandbox in each mode, closed after the test."""
    made = make_sandbox(monkeypatch, request.param)
    yield made
    made.close()


@pytest.fixture
def jail(monkeypatch) -> Iterator[Sandbox]:
    """A sandbox with bubblewrap only: for what the namespaces, not the rlimits, must stop."""
    made = make_sandbox(monkeypatch, "bwrap")
    yield made
    made.close()


def python(sandbox: Sandbox, code: str, timeout: float = 30.0) -> SandboxRun:
    return sandbox.run([sys.executable, "-c", textwrap.dedent(code)], timeout=timeout)


def report(sandbox: Sandbox, code: str, timeout: float = 30.0) -> Any:
    """Run ``code`` inside; it prints one JSON document as its last line: return that."""
    result = python(sandbox, code, timeout)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout.decode().splitlines()[-1])


# -- who the inside is ---------------------------------------------------------------


def test_inside_runs_as_the_sandbox_uid_with_no_capabilities(box):
    status = report(
        box,
        """
        import json
        fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
        print(json.dumps({k: v.split() for k, v in fields.items()}))
        """,
    )
    assert box.uid >= UID_BASE
    assert status["Uid"] == [str(box.uid)] * 4
    assert status["Gid"] == [str(box.gid)] * 4
    assert status["Groups"] == []
    for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(status[caps][0], 16) == 0, caps
    assert status["NoNewPrivs"] == ["1"]


def test_environment_is_cleared_of_host_secrets(box, monkeypatch):
    secret = f"sk-agentkit-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    seen = report(
        box,
        f"""
        import json, os
        leaked = []
        for pid in [p for p in os.listdir("/proc") if p.isdigit()] + ["{os.getpid()}"]:
            try:
                if b"{secret}" in open(f"/proc/{{pid}}/environ", "rb").read():
                    leaked.append(pid)
            except OSError:
                pass
        print(json.dumps({{"env": dict(os.environ), "leaked": leaked}}))
        """,
    )
    assert "OPENAI_API_KEY" not in seen["env"]
    assert set(seen["env"]) <= {"PATH", "HOME", "LANG", "TMPDIR", "PWD"}
    assert not any(secret in value for value in seen["env"].values())
    assert seen["leaked"] == [], "a readable process environment holds the host's secret"


def test_working_directory_is_the_workdir(box):
    assert report(box, "import json, os; print(json.dumps(os.getcwd()))") == str(box.workdir)
    assert report(box, "import json, os; print(json.dumps(os.environ['HOME']))") == str(box.workdir)


# -- what the inside sees ------------------------------------------------------------


def test_host_secrets_and_sources_are_not_mounted(jail):
    home = Path.home()
    needed = {  # the interpreter may live under the host's home; nothing else of it may show
        Path(p).relative_to(home).parts[0]
        for p in sandbox_module._python_paths()
        if Path(p).is_relative_to(home)
    }
    seen = report(
        jail,
        f"""
        import json, os
        def probe(path):
            try:
                open(path, "rb").read()
                return "read"
            except OSError as exc:
                return exc.__class__.__name__
        try:
            home = sorted(os.listdir("{home}"))
        except OSError as exc:
            home = exc.__class__.__name__
        print(json.dumps({{
            "shadow": probe("/etc/shadow"),
            "ssh": os.path.exists("{home}/.ssh"),
            "aws": os.path.exists(os.path.expanduser("~/.aws")),
            "source": probe("{agentkit.__file__}"),
            "home": home,
        }}))
        """,
    )
    assert Path("/etc/shadow").exists()  # the host has it; the inside must not
    assert seen["shadow"] == "FileNotFoundError"
    assert seen["ssh"] is False
    assert seen["aws"] is False
    assert seen["source"] == "FileNotFoundError"
    assert seen["home"] == "PermissionError" or set(seen["home"]) <= needed, seen["home"]


def test_system_directories_are_read_only(jail):
    seen = report(
        jail,
        """
        import json, os
        def attempt(action, path):
            try:
                action(path)
                return 0
            except OSError as exc:
                return exc.errno
        new = lambda path: open(path, "x").close()
        existing = lambda path: open(path, "a").close()
        print(json.dumps({
            "new": [attempt(new, "/usr/agentkit-test"), attempt(new, "/usr/local/agentkit-test"),
                    attempt(os.mkdir, "/usr/lib/agentkit-test")],
            "existing": [attempt(existing, "/usr/bin/python3"), attempt(existing, "/etc/passwd")],
        }))
        """,
    )
    assert seen["new"] == [errno.EROFS] * 3
    # Existing files are the host's root's: write permission is refused before the mount.
    assert set(seen["existing"]) <= {errno.EROFS, errno.EACCES}, seen
    assert not Path("/usr/agentkit-test").exists()


def test_tmp_is_private_and_writable(jail, tmp_path):
    name = f"agentkit-test-{uuid.uuid4().hex}"
    host_file = tmp_path / "host-only"
    host_file.write_text("host")
    seen = report(
        jail,
        f"""
        import json, os
        open("/tmp/{name}", "w").write("inside")
        print(json.dumps({{
            "mode": oct(os.stat("/tmp").st_mode & 0o7777),
            "host_file": os.path.exists("{host_file}"),
            "entries": sorted(os.listdir("/tmp")),
        }}))
        """,
    )
    assert not Path("/tmp", name).exists(), "a file written to /tmp inside reached the host"
    assert seen["mode"] == "0o1777"
    assert seen["host_file"] is False
    # Only what the sandbox itself mounts under /tmp: its own directory and, when the
    # Python environment lives under /tmp (a fresh clone there), that environment.
    mounted = {
        Path(p).relative_to("/tmp").parts[0] for p in _python_paths() if p.startswith("/tmp/")
    }
    assert set(seen["entries"]) == {name, "agentkit-sandboxes"} | mounted


def test_dev_shm_is_private_capped_and_usable_by_multiprocessing(jail):
    name = f"agentkit-test-{uuid.uuid4().hex}"
    seen = report(
        jail,
        f"""
        import json, multiprocessing
        with multiprocessing.Pool(2) as pool:  # its semaphores live in /dev/shm
            squares = pool.map(abs, [-4, -9])
        written, failure = 0, None
        while failure is None and written < 64:
            try:
                with open(f"/dev/shm/{name}-{{written}}", "wb") as f:
                    f.write(b"x" * (512 << 10))
                written += 1
            except OSError as exc:
                failure = exc.errno
        print(json.dumps({{"squares": squares, "mib": written / 2, "errno": failure}}))
        """,
    )
    assert seen["squares"] == [4, 9]
    assert seen["errno"] == errno.ENOSPC
    assert seen["mib"] <= jail.policy.limits.tmp_size_mb
    assert not list(Path("/dev/shm").glob(f"{name}*")), "a file in /dev/shm reached the host"


def test_new_session_stops_terminal_injection(jail):
    """With the caller's controlling terminal as stdin, TIOCSTI must still be refused."""
    master, slave = pty.openpty()
    # The sandbox's parent leads the terminal's session, as a terminal program would.
    own_the_terminal = (
        "import fcntl, os, sys, termios; os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
        "os.execvp(sys.argv[1], sys.argv[1:])"
    )
    code = (
        "import fcntl, termios\n"
        "try:\n"
        "    fcntl.ioctl(0, termios.TIOCSTI, b'!')\n"
        "    print('injected')\n"
        "except OSError as exc:\n"
        "    print(exc.errno)\n"
    )
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", own_the_terminal, *jail.command([sys.executable, "-c", code])],
            stdin=slave,
            stdout=subprocess.PIPE,
            env=jail.environment(),
            pass_fds=jail.popen_kwargs()["pass_fds"],  # the seccomp filter
        )
        out, _ = proc.communicate(timeout=20)
        injected = select.select([master], [], [], 0.2)[0]
    finally:
        os.close(slave)
        os.close(master)
    assert out.strip() == str(errno.EPERM).encode(), out
    assert not injected, "a character was pushed into the caller's terminal"


# -- what the inside may use ---------------------------------------------------------


def test_fork_bomb_stops_at_the_process_limit_and_leaves_no_survivors(box):
    limit = box.policy.limits.processes
    started = time.monotonic()
    seen = report(box, FORK_BOMB, timeout=30)
    assert seen["errno"] == errno.EAGAIN
    assert 0 < seen["made"] < limit
    assert len(processes_of(box.uid)) <= limit  # without bwrap the bomb is still running
    assert subprocess.run(["true"], timeout=5).returncode == 0  # the host can still fork
    assert time.monotonic() - started < 20
    box.close()
    assert_no_survivors(box.uid)


def test_file_size_limit_gives_efbig(box):
    seen = report(
        box,
        """
        import json
        try:
            with open("big", "wb") as f:
                for _ in range(4):
                    f.write(b"x" * (1 << 20))
            print(json.dumps(0))
        except OSError as exc:
            print(json.dumps(exc.errno))
        """,
    )
    assert seen == errno.EFBIG
    assert (box.workdir / "big").stat().st_size == 1 << 20


def test_open_files_limit_gives_emfile(box):
    seen = report(
        box,
        """
        import json
        files, failure = [], None
        while failure is None and len(files) < 100_000:
            try:
                files.append(open("/dev/null"))
            except OSError as exc:
                failure = exc.errno
        print(json.dumps({"opened": len(files), "errno": failure}))
        """,
    )
    assert seen["errno"] == errno.EMFILE
    assert seen["opened"] < box.policy.limits.open_files


def test_timeout_kills_everything_including_daemons(box):
    code = """
    import os, subprocess, sys, time
    subprocess.Popen(["sleep", "300"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "301"])
        os._exit(0)
    time.sleep(300)
    """
    result = python(box, code, timeout=1.5)
    assert result.timed_out
    assert result.returncode is not None and result.returncode < 0
    assert result.seconds < 10
    assert wait_until(lambda: not processes_of(box.uid)), processes_of(box.uid)


def test_two_sandboxes_get_different_uids_and_cannot_see_each_other(box, monkeypatch):
    mode = "bwrap" if box.isolated else "rlimits"
    other = make_sandbox(monkeypatch, mode)
    try:
        (other.workdir / "private").write_text("other's")
        os.chown(other.workdir / "private", other.uid, other.gid)
        assert other.uid != box.uid
        seen = report(
            box,
            f"""
            import json, os
            def probe(action):
                try:
                    action()
                    return "allowed"
                except OSError as exc:
                    return exc.__class__.__name__
            print(json.dumps([
                probe(lambda: os.listdir("{other.workdir}")),
                probe(lambda: open("{other.workdir / "private"}").read()),
                probe(lambda: open("{other.workdir / "new"}", "w").close()),
            ]))
            """,
        )
    finally:
        other.close()
    denied = {"FileNotFoundError"} if box.isolated else {"PermissionError"}
    assert set(seen) == denied, seen


# -- lifecycle -------------------------------------------------------------------------


def test_uid_slot_is_released_on_close_and_reused(monkeypatch):
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed")
    start = random.randrange(sandbox_module.UID_SLOTS)
    monkeypatch.setattr(sandbox_module.uuid, "uuid4", lambda: uuid.UUID(int=start))
    first = Sandbox(SandboxPolicy(limits=SMALL))
    second = Sandbox(SandboxPolicy(limits=SMALL))
    try:
        assert second.uid != first.uid
        uid = first.uid
        first.close()
        third = Sandbox(SandboxPolicy(limits=SMALL))
        try:
            assert third.uid == uid  # the first free slot from the same start
            assert report(third, "import json, os; print(json.dumps(os.getuid()))") == uid
        finally:
            third.close()
    finally:
        first.close()
        second.close()


def test_close_removes_the_directory_and_kills_what_is_left(box):
    proc = subprocess.Popen(box.command(["sleep", "300"]), **box.popen_kwargs())
    try:
        assert wait_until(lambda: bool(processes_of(box.uid)))
        (box.workdir / "scratch").write_text("x")
        box.close()
        box.close()  # twice is fine
        assert not box.root.exists()
        assert proc.wait(5) != 0
        assert_no_survivors(box.uid)
    finally:
        proc.kill()
        proc.wait(5)


def test_processes_of_leaves_out_zombies(monkeypatch):
    box = make_sandbox(monkeypatch, "rlimits")
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os._exit(0)\n"
        "time.sleep(300)  # never reaps its child: a zombie\n"
    )
    proc = subprocess.Popen(box.command([sys.executable, "-c", code]), **box.popen_kwargs())
    try:

        def states() -> list[str]:
            found = []
            for pid in os.listdir("/proc"):
                with contextlib.suppress(OSError):
                    status = Path(f"/proc/{pid}/status").read_text()
                    if f"Uid:\t{box.uid}\t" in status:
                        found.append(status.split("State:")[1].split()[0])
            return found

        assert wait_until(lambda: sorted(states()) == ["S", "Z"]), states()
        assert processes_of(box.uid) == [proc.pid]
    finally:
        box.close()
        proc.wait(5)


# -- without bubblewrap ------------------------------------------------------------


def test_without_bwrap_auto_mode_warns_and_keeps_rlimits_and_the_uid(monkeypatch):
    monkeypatch.setenv("AGENTKIT_BWRAP", "")
    monkeypatch.setenv("AGENTKIT_SANDBOX", "auto")
    with pytest.warns(SandboxWarning, match="bubblewrap.*rlimits and its own uid only"):
        box = Sandbox(SandboxPolicy.from_config(processes=32, open_files=64), label="test")
    try:
        assert not box.isolated
        seen = report(
            box,
            """
            import json, os, resource
            print(json.dumps({
                "uid": os.getuid(),
                "limits": {name: resource.getrlimit(getattr(resource, name))[0]
                           for name in ("RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_AS",
                                        "RLIMIT_FSIZE", "RLIMIT_CORE")},
            }))
            """,
        )
    finally:
        box.close()
    limits = box.policy.limits
    assert seen["uid"] == box.uid != 0
    assert seen["limits"] == {
        "RLIMIT_NPROC": 32,
        "RLIMIT_NOFILE": 64,
        "RLIMIT_AS": limits.memory_mb << 20,
        "RLIMIT_FSIZE": limits.file_size_mb << 20,
        "RLIMIT_CORE": 0,
    }


def test_without_bwrap_required_mode_refuses_with_one_clear_line(monkeypatch):
    monkeypatch.setenv("AGENTKIT_BWRAP", "")
    monkeypatch.setenv("AGENTKIT_SANDBOX", "required")
    with pytest.raises(SandboxError) as refused:
        Sandbox(SandboxPolicy.from_config(), label="test")
    message = str(refused.value)
    assert "\n" not in message
    assert "bubblewrap" in message and "required" in message
    assert "apt-get install bubblewrap" in message  # says what to do


@needs_bwrap
def test_agentkit_bwrap_may_name_the_binary_on_path(monkeypatch):
    monkeypatch.setenv("AGENTKIT_BWRAP", "bwrap")
    box = Sandbox(SandboxPolicy(limits=SMALL), label="test")
    try:
        assert box.isolated
        assert report(box, "import json, socket; print(json.dumps(socket.gethostname()))") == (
            "agentkit-sandbox"
        )
    finally:
        box.close()


@needs_bwrap
def test_extra_paths_are_visible_read_only_or_writable_as_the_policy_says(tmp_path):
    shared, drop = tmp_path / "shared", tmp_path / "drop"
    shared.mkdir()
    drop.mkdir()
    drop.chmod(0o777)
    (shared / "data.txt").write_text("from the host")
    policy = SandboxPolicy(readonly_paths=(str(shared),), writable_paths=(str(drop),))
    with Sandbox(policy) as sandbox:
        done = python(
            sandbox,
            f"""
            import errno
            print(open({str(shared / "data.txt")!r}).read())
            try:
                open({str(shared / "new.txt")!r}, "w")
            except OSError as exc:
                print(errno.errorcode[exc.errno])
            open({str(drop / "out.txt")!r}, "w").write("from inside")
            """,
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().split() == ["from", "the", "host", "EROFS"]
    assert (drop / "out.txt").read_text() == "from inside"


def test_a_private_host_directory_is_refused_in_one_line_only_without_bwrap(box):
    # Not pytest's tmp_path: its base (/tmp/pytest-of-root) is private itself.
    base = Path(tempfile.mkdtemp(prefix="agentkit-reach-"))
    try:
        base.chmod(0o755)
        private, public = base / "private", base / "public"
        (private / "env").mkdir(parents=True)
        (public / "env").mkdir(parents=True)
        private.chmod(0o700)
        box.require_reachable(public / "env", "the environment")
        if box.isolated:  # bubblewrap mounts what it shows: the host's modes do not matter
            box.require_reachable(private / "env", "the environment")
            (private / "env" / "data.txt").write_text("behind a private directory")
            policy = SandboxPolicy(readonly_paths=(str(private / "env"),), limits=SMALL)
            with Sandbox(policy, label="test") as shown:
                seen = python(shown, f"print(open({str(private / 'env' / 'data.txt')!r}).read())")
            assert seen.returncode == 0, seen.stderr.decode(errors="replace")
            assert seen.stdout.decode().strip() == "behind a private directory"
            return
        with pytest.raises(SandboxError) as refused:
            box.require_reachable(private / "env", "the environment")
        message = str(refused.value)
        assert "\n" not in message and f"chmod o+x {private}" in message
        seen = python(box, f"import os; os.listdir({str(private / 'env')!r})")
        assert seen.returncode != 0 and b"PermissionError" in seen.stderr
    finally:
        shutil.rmtree(base)
