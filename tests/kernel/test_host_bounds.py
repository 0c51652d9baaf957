"""What a hostile cell can cost the host, and what it can leave to the next start.

SANDBOX.md cases 38, 39, 40, 41, 44 and 45 (issue 14, items 3, 5, 6, 7, 10 and 11), each
on a real kernel in a real sandbox: IPC socket files swapped for links, output after a
cell ended, artifacts that fill the disk, a hundred thousand tiny displays, a message
nested 200,000 deep, and files planted for the next start.
"""

from __future__ import annotations

import json
import socket
import tempfile
import time

import pytest
from kernel_helpers import (
    assert_alive_with_state,
    execute,
    kernel_starter,
    memory_status,
    reset_peak_memory,
)

MIB = 1 << 20


@pytest.fixture
def start_kernel(artifacts):
    with kernel_starter(artifacts) as start:
        yield start


def wait_for_file(path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} did not appear within {seconds}s"
        time.sleep(0.1)


# -- case 39: output after the cell ended ------------------------------------------------


def test_output_printed_after_its_cell_ended_is_drained_and_host_memory_stays_bounded(kernel):
    execute(kernel, "x = 5")
    spew = (
        "import pathlib, sys, threading, time\n"
        "def spew():\n"
        "    time.sleep(0.3)\n"
        "    chunk = 'x' * (40 << 20)\n"
        "    for _ in range(20):\n"
        "        print(chunk)\n"
        "        sys.stdout.flush()  # one 40 MiB message each\n"
        "    pathlib.Path('spewed').touch()\n"
        "threading.Thread(target=spew, daemon=True).start()"
    )
    before = reset_peak_memory()
    assert execute(kernel, spew).status == "ok"
    wait_for_file(kernel.sandbox.workdir / "spewed", 90)
    time.sleep(1.0)  # the last messages reach the host
    grown = memory_status()["VmHWM"] - before
    assert grown < 100, f"the host grew by {grown} MiB"
    assert kernel.pump.dropped_bytes > 20 * 40 * MIB  # all of it arrived, and was dropped
    later = execute(kernel, "print('mine')")
    assert later.output["stdout"] == "mine\n" and later.output["truncated"] is False
    assert_alive_with_state(kernel, "5")


# -- case 40: artifacts --------------------------------------------------------------------

# The pause lets the kernel's own I/O thread keep up: without it the kernel's
# queued copies sometimes hit its 2 GiB address-space limit first.
FOUR_MIB_IMAGES = (
    "import base64, time\n"
    "from IPython.display import display\n"
    "image = base64.b64encode(bytes(4 << 20)).decode()\n"
    "for _ in range({n}):\n"
    "    display({{'image/png': image}}, raw=True)\n"
    "    time.sleep(0.02)"
)


def test_fifty_4_mib_images_are_cut_to_the_per_call_artifact_quota_and_say_so(kernel, artifacts):
    # The defaults: at most 20 images and 32 MiB per call.
    result = execute(kernel, FOUR_MIB_IMAGES.format(n=50), timeout=60)
    assert result.status == "ok", result.error
    saved = sorted(artifacts.iterdir())
    assert len(saved) == len(result.artifacts) == 8  # 8 x 4 MiB is the 32 MiB quota
    assert sum(path.stat().st_size for path in saved) == 32 * MIB
    assert result.output["truncated"] is True
    assert "42 images not saved: over the artifact quota" in " ".join(result.output["notes"])
    dropped = {"image/png": {"dropped": "over the artifact quota"}}
    assert result.output["display"][8:] == [dropped] * 42


def test_a_session_stops_saving_artifacts_at_its_session_quota(start_kernel, artifacts):
    kernel = start_kernel(artifacts_per_call=3, artifacts_per_session=5)
    small = (
        "from IPython.display import display\n"
        "for _ in range(4):\n"
        "    display({'image/png': 'iVBORw0KGgo='}, raw=True)"
    )
    counts = [len(execute(kernel, small).artifacts) for _ in range(3)]
    assert counts == [3, 2, 0]
    assert len(list(artifacts.iterdir())) == 5


# -- case 41: many small displays ---------------------------------------------------------


def test_a_hundred_thousand_tiny_displays_are_capped_by_count_and_marked_truncated(kernel):
    code = (
        "from IPython.display import publish_display_data\n"
        "for i in range(100_000):\n"
        "    publish_display_data({'text/plain': str(i)})"
    )
    result = execute(kernel, code, timeout=60)
    assert result.status in ("ok", "timeout"), result.error  # a flood may be interrupted
    displays = result.output["display"]
    assert len(displays) == 200  # the default [kernel] displays
    assert displays[0] == {"text/plain": "0"}
    assert result.output["truncated"] is True
    assert any("display outputs dropped" in note for note in result.output["notes"])
    assert len(json.dumps(result.output)) < 100_000
    assert execute(kernel, "print('after')").output["stdout"] == "after\n"


# -- case 44: a deeply nested message -------------------------------------------------------

DEEP_MESSAGE = (
    "kernel = get_ipython().kernel\n"
    "session = kernel.session\n"
    "parts = [\n"
    "    session.pack(session.msg_header('stream')),\n"
    "    session.pack(kernel.get_parent()['header']),\n"
    "    b'{}',\n"
    "    b'{\"name\": \"stdout\", \"text\": ' + b'[' * 200_000 + b']' * 200_000 + b'}',\n"
    "]\n"
    "kernel.iopub_socket.send_multipart([b'stream', b'<IDS|MSG>', session.sign(parts), *parts])\n"
    "print('after')"
)


def test_a_message_nested_200_000_deep_is_a_kernel_error_not_a_host_recursion_error(kernel):
    execute(kernel, "x = 6")
    result = execute(kernel, DEEP_MESSAGE)
    assert result.status == "error"
    assert result.error == (
        "KernelError: the kernel sent a message nested more than 100 levels deep; it was dropped"
    )
    assert result.output["stdout"] == "after\n" and result.output["truncated"] is True
    assert_alive_with_state(kernel, "6")


# -- case 45: a restart starts clean --------------------------------------------------------

PLANT_STARTUP_CODE = (
    "import pathlib, sys\n"
    "home = pathlib.Path.home()  # the work directory\n"
    "startup = home / '.ipython' / 'profile_default' / 'startup'\n"
    "startup.mkdir(parents=True, exist_ok=True)\n"
    "(startup / '00.py').write_text('planted = 1\\n')\n"
    "(startup / '01.py').write_text('import os; os._exit(7)\\n')\n"
    "version = f'python{sys.version_info.major}.{sys.version_info.minor}'\n"
    "site = home / '.local' / 'lib' / version / 'site-packages'\n"
    "site.mkdir(parents=True)\n"
    "(site / 'planted.pth').write_text('import os; os._exit(8)\\n')\n"
    "ipython = pathlib.Path.cwd().parent / 'ipython'  # agentkit's, made afresh every start\n"
    "try:\n"
    "    (ipython / 'profile_default' / 'startup' / '00.py').write_text('planted = 2')\n"
    "except OSError:\n"
    "    pass"
)
PLANT_IPC_DIRECTORIES = (
    "import pathlib\n"
    "ipc = pathlib.Path.cwd().parent / 'ipc'\n"
    "for socket in list(ipc.iterdir()):\n"
    "    socket.unlink()\n"
    "    socket.mkdir()\n"
    "    (socket / 'inside').touch()\n"
    "print(len(list(ipc.iterdir())))"
)


def assert_restarts_clean(kernel) -> None:
    """A forced restart, twice, each time with a fresh kernel that ran nothing planted."""
    for restarts in (1, 2):
        died = execute(kernel, "import os\nos._exit(1)")
        assert died.status == "died" and died.restarted, died.error
        clean = execute(kernel, "print('planted' in globals())")
        assert clean.status == "ok", clean.error
        assert clean.output["stdout"] == "False\n"
        assert kernel.restarts == restarts


def test_startup_files_a_cell_planted_do_not_run_when_the_kernel_restarts(kernel):
    planted = execute(kernel, PLANT_STARTUP_CODE)
    assert planted.status == "ok", planted.error
    assert_restarts_clean(kernel)


def test_directories_planted_where_ipc_sockets_go_are_replaced_at_restart(kernel):
    planted = execute(kernel, PLANT_IPC_DIRECTORIES)
    assert planted.status == "ok", planted.error
    assert int(planted.output["stdout"]) >= 4  # every socket is a directory now
    assert_restarts_clean(kernel)


# -- case 38: IPC socket files a cell replaced with symbolic links -------------------------

# The links point at a socket of the host's (the sandbox cannot reach it; the host can).
# ``{when}`` is code that runs the swap: at once, or from a thread after the cell ended.
SWAP_SOCKETS_FOR_LINKS = (
    "import os, pathlib, threading, time\n"
    "def swap():\n"
    "    ipc = pathlib.Path.cwd().parent / 'ipc'\n"
    "    for socket in list(ipc.iterdir()):\n"
    "        socket.unlink()\n"
    "        socket.symlink_to({target!r})\n"
    "    os.kill(os.getpid(), 9)\n"
    "{when}"
)
AT_ONCE = "swap()"
AFTER_THE_CELL = "threading.Thread(target=lambda: (time.sleep(0.3), swap())).start()"


@pytest.fixture
def host_listener():
    """A Unix socket of the host's, listening, in a short private directory of its own."""
    with tempfile.TemporaryDirectory(prefix="ak-lure-") as directory:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(f"{directory}/lure")
        listener.listen(16)
        listener.settimeout(0.05)
        try:
            yield listener
        finally:
            listener.close()


def connections_within(listener: socket.socket, seconds: float) -> int:
    """How many connections ``listener`` accepted in the next ``seconds`` (bounded)."""
    accepted = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            peer, _ = listener.accept()
        except TimeoutError:
            continue
        peer.close()
        accepted += 1
    return accepted


def test_socket_files_swapped_for_links_then_a_kernel_death_do_not_connect_the_host(
    kernel, host_listener
):
    code = SWAP_SOCKETS_FOR_LINKS.format(target=host_listener.getsockname(), when=AT_ONCE)
    died = execute(kernel, code)
    assert died.status == "died" and died.restarted, died.error
    assert connections_within(host_listener, 1.5) == 0
    clean = execute(kernel, "print(6 * 7)")
    assert clean.status == "ok" and not clean.restarted, clean.error
    assert clean.output["stdout"] == "42\n"
    assert connections_within(host_listener, 0.2) == 0


def test_socket_links_planted_by_a_thread_that_kills_the_kernel_between_cells_are_not_followed(
    kernel, host_listener
):
    execute(kernel, "x = 3")
    code = SWAP_SOCKETS_FOR_LINKS.format(target=host_listener.getsockname(), when=AFTER_THE_CELL)
    started = execute(kernel, code)
    assert started.status == "ok", started.error
    # Nobody notices the death until the next cell: ZMQ alone would reconnect every 100 ms.
    assert connections_within(host_listener, 2.0) == 0
    later = execute(kernel, "print('fresh' if 'x' not in globals() else 'stale')")
    assert later.status == "ok" and later.restarted, later.error
    assert later.output["stdout"] == "fresh\n"
    assert connections_within(host_listener, 0.2) == 0


def test_fresh_channels_after_an_oversized_message_refuse_socket_links_and_restart(
    kernel, host_listener
):
    execute(kernel, "x = 4")
    swap = SWAP_SOCKETS_FOR_LINKS.format(target=host_listener.getsockname(), when="")
    too_big = kernel.settings.message_bytes + (4 << 20)
    code = swap.replace("    os.kill(os.getpid(), 9)\n", "") + f"swap()\nprint('z' * {too_big})"
    broken = execute(kernel, code, timeout=20)
    assert "some output was lost: a message exceeded the size limit" in broken.output["notes"]
    # The next cell needs fresh channels; the kernel's socket files are links now.
    later = execute(kernel, "print('fresh' if 'x' not in globals() else 'stale')")
    assert later.status == "ok" and later.restarted, later.error
    assert later.output["stdout"] == "fresh\n"
    assert connections_within(host_listener, 0.5) == 0
