"""SANDBOX.md case 46: escape sequences in untrusted text are shown, never obeyed.

Each kind of sequence goes through a real printer: ``agentkit tools call`` (a tool's
error line, and the sandboxed kernel's), ``agentkit refute`` (a program's exception
text) and ``--json``. The raw bytes must not reach stdout or stderr.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentkit.cli import cli
from agentkit.terminal import safe_text

AGENTKIT = Path(sys.executable).with_name("agentkit")

SEQUENCES = {
    "osc 0 (window title)": ("\x1b]0;pwned\x07", r"\x1b]0;pwned\x07"),
    "osc 52 (clipboard write)": ("\x1b]52;c;cm0gLXJmIH4=\x07", r"\x1b]52;c;cm0gLXJmIH4=\x07"),
    "dcs": ("\x1bP1$r\x1b\\", r"\x1bP1$r\x1b" + "\\"),  # ESC shown, its backslash kept
    "ris (reset)": ("\x1bc", r"\x1bc"),
    "c1 csi": ("\x9b2J", r"\x9b2J"),
    "bare esc": ("\x1bZ", r"\x1bZ"),
    "carriage return": ("fake\rreal", r"fake\rreal"),
}
RAW = ("\x1b", "\x9b", "\x07", "\r")
EVERY = "".join(raw for raw, _ in SEQUENCES.values())


def assert_shown_not_obeyed(text: str, *shown: str) -> None:
    for raw in RAW:
        assert raw not in text, f"raw {raw!r} reached the terminal"
    for visible in shown:
        assert visible in text


@pytest.mark.parametrize(("raw", "visible"), SEQUENCES.values(), ids=SEQUENCES.keys())
def test_safe_text_shows_each_control_as_its_escape(raw, visible):
    assert safe_text(f"a {raw} b") == f"a {visible} b"


def test_safe_text_keeps_text_newlines_tabs_and_unicode_and_is_idempotent():
    text = "x² ≤ 漢字 — ok\n\tindented 🙂\r\n"
    assert safe_text(text) == "x² ≤ 漢字 — ok\n\tindented 🙂\n"
    hostile = f"{EVERY}\x00\x7f\x85\udc80"
    assert safe_text(safe_text(hostile)) == safe_text(hostile)
    assert safe_text("\x00\x7f\x85\udc80") == r"\x00\x7f\x85\udc80"


@pytest.mark.parametrize(("raw", "visible"), SEQUENCES.values(), ids=SEQUENCES.keys())
def test_a_tool_error_line_shows_each_sequence(add_plugin, isolated_agentkit, raw, visible):
    def hostile(text: str) -> str:
        """Fail with the given text."""
        raise RuntimeError(text)

    import agentkit

    add_plugin("hostile", register_tools=lambda register: register(agentkit.tool(hostile)))
    result = CliRunner().invoke(
        cli, ["tools", "call", "hostile", "--args", json.dumps({"text": raw})]
    )
    assert result.exit_code == 1
    assert_shown_not_obeyed(result.stdout + result.stderr, visible)


def test_json_output_stays_exact_and_holds_no_raw_control(add_plugin, isolated_agentkit):
    import agentkit

    def echo(text: str) -> str:
        """Return the text."""
        return text

    add_plugin("echoing", register_tools=lambda register: register(agentkit.tool(echo)))
    args = json.dumps({"text": EVERY + "\x85"})
    result = CliRunner().invoke(cli, ["tools", "call", "echo", "--args", args, "--json"])
    assert result.exit_code == 0
    assert_shown_not_obeyed(result.stdout)
    assert "\x85" not in result.stdout
    assert json.loads(result.stdout)["output"] == EVERY + "\x85"


def run_agentkit(*args: str, home: Path, plugins: str, cwd: Path | None = None):
    env = {"AGENTKIT_HOME": str(home), "AGENTKIT_LOAD_PLUGINS": plugins, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(AGENTKIT), *args], capture_output=True, timeout=120, env=env, cwd=cwd
    )


def test_refute_shows_the_sequences_of_a_programs_exception(tmp_path):
    (tmp_path / "cand.py").write_text(
        f"def f(x: int) -> str:\n    if x > 3:\n        raise ValueError({EVERY!r})\n"
        "    return 'ok'\n"
    )
    (tmp_path / "ref.py").write_text("def f(x: int) -> str:\n    return 'ok'\n")
    result = run_agentkit(
        "refute", "cand.py", "--reference", "ref.py", "--no-model", "--budget", "20",
        home=tmp_path / "home", plugins="refute", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    out = (result.stdout + result.stderr).decode("utf-8")
    assert_shown_not_obeyed(out, *(visible for _, visible in SEQUENCES.values()))


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed")
def test_a_kernel_error_line_shows_the_sequences(tmp_path):
    code = f"raise ValueError({EVERY!r})"
    result = run_agentkit(
        "tools", "call", "python", "--args", json.dumps({"code": code}),
        home=tmp_path / "home", plugins="kernel",
    )  # fmt: skip
    assert result.returncode == 1
    error = result.stderr.decode("utf-8").splitlines()[0]
    assert error.startswith("Error: ValueError")
    assert_shown_not_obeyed(
        (result.stdout + result.stderr).decode("utf-8"),
        *(visible for _, visible in SEQUENCES.values()),
    )
