"""What a hostile cell got through the first sandbox (SANDBOX.md, round 2), on real sandboxes.

Each test runs with bubblewrap and, where it applies, without it (``AGENTKIT_BWRAP=""``):
the seccomp filter, the keyrings, the private base directory, stale sandboxes of a
SIGKILLed owner, the memory of all processes together, and the scheduling priority.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import wait_until
from test_sandbox import SMALL, make_sandbox, python, report

from agentkit import _cgroup, _sandbox_dirs, _seccomp
from agentkit import sandbox as sandbox_module
from agentkit.sandbox import Sandbox, SandboxError, SandboxLimits, SandboxPolicy, SandboxWarning

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop needs root")


@pytest.fixture(params=["bwrap", "rlimits"])
def box(request, monkeypatch) -> Iterator[Sandbox]:
    made = make_sandbox(monkeypatch, request.param)
    yield made
    made.close()


def syscall_numbers(*names: str) -> dict[str, int]:
    """This machine's numbers for ``names``, from libseccomp (the inside cannot import it)."""
    lib = _seccomp._library()
    return {name: lib.seccomp_syscall_resolve_name(name.encode()) for name in names}


# Calls each system call with harmless arguments; prints {name: errno name or "ok"}.
PROBE = """
import ctypes, errno, json, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
calls = json.loads(sys.argv[1])
seen = {}
for label, (number, args) in calls.items():
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(number), *[ctypes.c_long(a) for a in args])
    seen[label] = "ok" if result != -1 else errno.errorcode[ctypes.get_errno()]
print(json.dumps(seen))
"""


def probe(sandbox: Sandbox, calls: dict[str, tuple[str, tuple[int, ...]]]) -> dict[str, str]:
    numbers = syscall_numbers(*(name for name, _ in calls.values()))
    table = {label: (numbers[name], args) for label, (name, args) in calls.items()}
    run = sandbox.run([sys.executable, "-c", PROBE, json.dumps(table)], timeout=30)
    assert run.returncode == 0, run.stderr.decode(errors="replace")
    return json.loads(run.stdout)


# -- 36: the seccomp filter -------------------------------------------------------------


def test_every_denied_system_call_is_refused_with_eperm(box):
    # Zero arguments: harmless wherever a call would get through, and EPERM only from
    # the filter for the calls an unprivileged process may make (unshare, keyctl, ...).
    calls = {name: (name, (0, 0, 0, 0, 0)) for name in _seccomp.DENIED}
    seen = probe(box, {k: v for k, v in calls.items() if syscall_numbers(k)[k] >= 0})
    assert seen == dict.fromkeys(seen, "EPERM")
    assert {"unshare", "keyctl", "io_uring_setup", "userfaultfd", "bpf"} <= set(seen)


def test_namespaces_personality_and_clone3_are_refused_and_ordinary_calls_work(box):
    seen = probe(
        box,
        {
            "unshare a user namespace": ("unshare", (0x10000000,)),
            "clone into a user namespace": ("clone", (0x10000000 | signal.SIGCHLD, 0, 0, 0, 0)),
            "clone into a net namespace": ("clone", (0x40000000 | signal.SIGCHLD, 0, 0, 0, 0)),
            "clone3": ("clone3", (0, 0)),
            "personality READ_IMPLIES_EXEC": ("personality", (0x0400000,)),
            "personality ADDR_NO_RANDOMIZE": ("personality", (0x0040000,)),
            "personality high bits": ("personality", (0x100000001,)),
            "personality query": ("personality", (0xFFFFFFFF,)),
            "personality default": ("personality", (0,)),
            "getpid": ("getpid", ()),
        },
    )
    refused = {k: v for k, v in seen.items() if k.startswith(("unshare", "clone ", "personality "))}
    assert {k: v for k, v in refused.items() if "query" not in k and "default" not in k} == {
        k: "EPERM" for k in refused if "query" not in k and "default" not in k
    }
    assert seen["clone3"] == "ENOSYS"  # so glibc falls back to clone, which is checked
    assert seen["personality query"] == seen["personality default"] == seen["getpid"] == "ok"


def test_unshare_command_cannot_become_root_in_a_new_namespace(box):
    run = box.run(["unshare", "-Urm", "id", "-u"], timeout=30)
    assert run.returncode != 0 and run.stdout == b""
    assert b"Operation not permitted" in run.stderr


def test_threads_forks_and_subprocesses_still_work_under_the_filter(box):
    seen = report(
        box,
        """
        import json, os, subprocess, threading
        results = []
        threads = [threading.Thread(target=results.append, args=(i,)) for i in range(4)]
        [t.start() for t in threads]; [t.join() for t in threads]
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        forked = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        echoed = subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout
        print(json.dumps([sorted(results), forked, echoed]))
        """,
    )
    assert seen == [[0, 1, 2, 3], 7, "hi\n"]


def test_without_libseccomp_auto_warns_loudly_and_required_refuses(monkeypatch):
    missing = "libseccomp is missing (test); install it (apt-get install libseccomp2)"
    monkeypatch.setattr(sandbox_module, "seccomp_availability", lambda: missing)
    with pytest.warns(SandboxWarning, match="no seccomp filter.*every system call"):
        box = Sandbox(SandboxPolicy(limits=SMALL), label="test")
    try:
        assert box.seccomp_missing == missing
        assert "--seccomp" not in box.command(["true"])
    finally:
        box.close()
    with pytest.raises(SandboxError) as refused:
        Sandbox(SandboxPolicy(mode="required", limits=SMALL), label="test")
    assert "\n" not in str(refused.value) and "libseccomp2" in str(refused.value)


# -- 37: keyrings -----------------------------------------------------------------------


def test_no_keyring_of_the_host_is_reachable_and_nothing_is_left_in_one(box):
    session, user = -3, -4  # KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING
    seen = probe(
        box,
        {
            "read the session keyring": ("keyctl", (0, session, 0)),  # KEYCTL_GET_KEYRING_ID
            "read the user keyring": ("keyctl", (0, user, 0)),
            "join a new session keyring": ("keyctl", (1, 0)),  # KEYCTL_JOIN_SESSION_KEYRING
            "add a key": ("add_key", (0, 0, 0, 0, user)),
            "request a key": ("request_key", (0, 0, 0, session)),
        },
    )
    assert seen == dict.fromkeys(seen, "EPERM")


# -- 38: the base directory ---------------------------------------------------------------


@pytest.fixture
def private_tmp(monkeypatch, tmp_path) -> Path:
    """A TMPDIR of the test's own; no uid slot is taken from it (that needs the real base)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sandbox_module, "is_root", lambda: False)
    return tmp_path / "agentkit-sandboxes"


def refusal(match: str) -> str:
    with pytest.raises(SandboxError, match=match) as refused:
        Sandbox(SandboxPolicy(limits=SMALL), label="test")
    assert "\n" not in str(refused.value)
    return str(refused.value)


def test_a_base_directory_of_another_user_is_refused(private_tmp):
    private_tmp.mkdir(mode=0o700)
    os.chown(private_tmp, 12345, 12345)
    assert "belongs to uid 12345" in refusal("another user may have planted it")
    assert os.listdir(private_tmp) == []


def test_a_base_directory_that_is_a_symlink_is_refused(private_tmp, tmp_path):
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    private_tmp.symlink_to(tmp_path / "elsewhere")
    refusal("is a symlink")
    assert os.listdir(tmp_path / "elsewhere") == []


def test_a_base_directory_others_may_write_is_refused(private_tmp):
    private_tmp.mkdir()
    private_tmp.chmod(0o777)
    refusal("writable by other users")


def test_the_base_directory_is_made_private_and_an_older_open_one_is_closed(private_tmp):
    with Sandbox(SandboxPolicy(limits=SMALL), label="test") as box:
        assert oct(private_tmp.stat().st_mode & 0o777) == oct(0o711)
        assert box.root.parent == private_tmp
    private_tmp.chmod(0o755)  # as an older agentkit left it: ours, but listable
    with Sandbox(SandboxPolicy(limits=SMALL), label="test"):
        assert oct(private_tmp.stat().st_mode & 0o777) == oct(0o711)


def test_a_planted_symlink_as_a_uid_slot_lock_is_never_followed(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    slots = tmp_path / "agentkit-sandboxes" / "uid-slots"
    slots.mkdir(parents=True)
    (tmp_path / "agentkit-sandboxes").chmod(0o711)
    slots.chmod(0o700)
    target = tmp_path / "victim"
    (slots / "7.lock").symlink_to(target)
    monkeypatch.setattr(sandbox_module.uuid, "uuid4", lambda: sandbox_module.uuid.UUID(int=7))
    refusal("7.lock is a symlink")
    assert not target.exists()


# -- 47: stale sandboxes of a SIGKILLed owner ---------------------------------------------

OWNER = """
import sys, warnings
warnings.simplefilter("ignore")
from agentkit.sandbox import Sandbox, SandboxLimits, SandboxPolicy
box = Sandbox(SandboxPolicy(limits=SandboxLimits(processes=32)), label="stale")
(box.root / "connection.json").write_text('{"key": "secret"}')
print(box.root, box.cgroup.path if box.cgroup else "", flush=True)
sys.stdin.read()
"""


def test_the_next_start_removes_the_sandboxes_of_a_sigkilled_owner():
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        root, group = owner.stdout.readline().split(" ")  # type: ignore[union-attr]
        root, group = Path(root), Path(group.strip())
        with Sandbox(SandboxPolicy(limits=SMALL), label="test"):
            assert (root / "connection.json").exists()  # its owner lives: kept
        owner.kill()
        owner.wait(5)
        with Sandbox(SandboxPolicy(limits=SMALL), label="test") as box:
            assert not root.exists()
            assert not group.name or not group.exists()
            assert box.root.exists()
    finally:
        owner.kill()
        owner.wait(5)


def test_a_live_sandbox_of_this_process_is_never_swept(box, monkeypatch):
    monkeypatch.delenv("AGENTKIT_BWRAP", raising=False)
    with Sandbox(SandboxPolicy(limits=SMALL), label="test"):
        assert box.workdir.exists()
    removed = _sandbox_dirs.sweep_stale(box._base, lambda uid: True)
    assert box.root.name not in removed and box.root.exists()


# -- 42: the memory of all processes together -----------------------------------------------

CHILDREN = """
import json, subprocess, sys
grab = "import time; block = b'x' * (1 << 30); print('held', flush=True); time.sleep(3)"
children = [subprocess.Popen([sys.executable, "-c", grab], stdout=subprocess.PIPE)
            for _ in range(3)]
print(json.dumps([c.wait() for c in children]))
"""


def test_three_children_of_1_gib_each_are_held_to_a_2_gib_total(monkeypatch):
    box = make_sandbox(monkeypatch, "bwrap", memory_mb=2048, total_memory_mb=2048, processes=64)
    try:
        if box.cgroup is None:
            pytest.skip(f"no memory cgroup on this machine: {box.memory_bound}")
        assert box.memory_bound.startswith("2048 MiB in total")
        codes = report(box, CHILDREN, timeout=60)
        assert -signal.SIGKILL in codes, codes  # the kernel's OOM killer, in the group only
        assert box.cgroup.read_int("memory.max_usage_in_bytes") <= 2048 << 20
    finally:
        box.close()


def test_without_a_memory_cgroup_the_real_limit_is_stated(monkeypatch):
    monkeypatch.setattr(_cgroup, "memory_group", lambda *args: None)
    box = make_sandbox(monkeypatch, "bwrap", memory_mb=512)
    try:
        assert box.memory_bound == (
            "512 MiB of address space per process only "
            "(no memory cgroup here: no bound on the total)"
        )
        assert "/cgroup.procs" not in " ".join(box.command(["true"]))
    finally:
        box.close()


def test_the_memory_cgroup_is_removed_on_close(box):
    if box.cgroup is None:
        pytest.skip("no memory cgroup on this machine")
    assert python(box, "print('in the group')").returncode == 0
    path = box.cgroup.path
    assert path.exists()
    box.close()
    assert wait_until(lambda: not path.exists(), timeout=3)


# -- 43: priority ---------------------------------------------------------------------------


def test_sandboxed_processes_run_niced_and_cannot_raise_their_priority(box):
    seen = report(
        box,
        """
        import json, os
        niced = os.nice(0)
        try:
            os.nice(-1)
            raised = True
        except PermissionError:
            raised = False
        print(json.dumps([niced, raised]))
        """,
    )
    assert seen == [os.nice(0) + SandboxLimits().nice, False]


def test_the_nice_increment_is_configurable(monkeypatch):
    box = make_sandbox(monkeypatch, "rlimits", nice=15)
    try:
        assert report(box, "import json, os; print(json.dumps(os.nice(0)))") == os.nice(0) + 15
    finally:
        box.close()


BUSY = "import threading\nwhile True: pass"


def test_a_session_cpu_limit_stops_busy_processes_together(monkeypatch):
    box = make_sandbox(monkeypatch, "bwrap", session_cpu_seconds=1.0)
    try:
        if box.cpu_budget is None:
            pytest.skip("no cpuacct cgroup on this machine")
        busy = [
            subprocess.Popen(box.command([sys.executable, "-c", BUSY]), **box.popen_kwargs())
            for _ in range(2)
        ]
        try:
            assert wait_until(lambda: all(p.poll() is not None for p in busy), timeout=15)
        finally:
            for proc in busy:
                proc.kill()
                proc.wait(5)
        used = box.cpu_seconds_used()
        assert box.cpu_budget.spent and used is not None and 1.0 < used < 3.0, used
        with pytest.raises(SandboxError, match="used up its CPU time") as refused:
            box.command(["true"])
        assert "\n" not in str(refused.value)
    finally:
        box.close()


def test_without_a_cpuacct_group_the_session_cpu_limit_is_said_to_be_unenforced(monkeypatch):
    monkeypatch.setattr(_cgroup, "cpu_group", lambda name: None)
    with pytest.warns(SandboxWarning, match="session_cpu_seconds is not enforced"):
        box = Sandbox(SandboxPolicy(limits=SandboxLimits(session_cpu_seconds=5)), label="test")
    try:
        assert box.cpu_seconds_used() is None
    finally:
        box.close()
