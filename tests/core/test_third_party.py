"""The third-party plugin path, for real: a fresh virtual environment and real pip installs.

One virtual environment is shared by the whole module. agentkit is installed into it from
this checkout (not editable), then the tests drive its own ``agentkit`` console script:
``agentkit install`` / ``uninstall`` run the venv's pip, and the plugins are found through
the ``agentkit`` entry-point group exactly as a plugin from PyPI would be.

Each test asks for the set of installed plugins it needs (``example_absent``,
``example_installed``, ``broken_installed``); those fixtures only change the venv when it
is not already in that state, so the tests pass in any order and run quickly in file order.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "plugins" / "example"
BROKEN = Path(__file__).resolve().parent / "fixtures" / "agentkit-broken"

EXAMPLE_DIST = "agentkit-example"
BROKEN_DIST = "agentkit-broken-fixture"
BROKEN_REASON = "RuntimeError: this plugin is broken on purpose"
UNINSTALL_HINT = f"agentkit uninstall {BROKEN_DIST}"
WORD_STATS_ARGS = json.dumps({"text": "a b a"})

COMMAND_TIMEOUT = 60  # seconds for one agentkit command (each takes about one)
INSTALL_TIMEOUT = 240  # seconds for a pip or uv install (a cold cache downloads wheels)

# Variables that would change what the venv's agentkit loads or how it reports.
_SCRUBBED = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONWARNINGS", "PYTHONSTARTUP")


def _version(pyproject: Path) -> str:
    return tomllib.loads(pyproject.read_text())["project"]["version"]


def _pypi_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/", timeout=5):
            return True
    except OSError:
        return False


@dataclass
class Venv:
    """A virtual environment with agentkit installed, and the environment to run it in."""

    path: Path
    env: dict[str, str]
    uv: str | None

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def agentkit(
        self,
        *args: str,
        env: dict[str, str] | None = None,
        timeout: float = COMMAND_TIMEOUT,
    ) -> subprocess.CompletedProcess[str]:
        """Run the venv's own ``agentkit`` console script."""
        return subprocess.run(
            [str(self.path / "bin" / "agentkit"), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def distributions(self) -> set[str]:
        """Names of the distributions installed in the venv, as its own Python sees them."""
        code = (
            "import importlib.metadata as m, json; "
            "print(json.dumps(sorted({d.metadata['Name'] for d in m.distributions()})))"
        )
        done = _run([str(self.python), "-c", code], self.env, COMMAND_TIMEOUT)
        return set(json.loads(done.stdout))

    def ensure(self, present: Sequence[Path] = (), absent: Sequence[str] = ()) -> None:
        """Bring the venv to a state (set-up only: the tests install through agentkit)."""
        installed = self.distributions()
        extra = [dist for dist in absent if dist in installed]
        if extra:
            _run(
                [str(self.python), "-m", "pip", "uninstall", "-y", *extra],
                self.env,
                INSTALL_TIMEOUT,
            )
        wanted = {_dist_name(path): path for path in present}
        missing = [path for dist, path in wanted.items() if dist not in installed]
        if missing:
            self.install(*missing, no_deps=True)

    def install(self, *targets: Path, no_deps: bool = False) -> None:
        deps = ["--no-deps"] if no_deps else []
        names = [_dist_name(target) for target in targets]
        if self.uv:
            refresh = [arg for name in names for arg in ("--refresh-package", name)]
            command = [self.uv, "pip", "install", "--python", str(self.python), *deps, *refresh]
        else:
            command = [str(self.python), "-m", "pip", "install", *deps]
        _run([*command, *map(str, targets)], self.env, INSTALL_TIMEOUT)


def _dist_name(project: Path) -> str:
    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["name"]


def _run(command: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"set-up command failed (exit {done.returncode}): {' '.join(command)}\n"
            f"{done.stdout}\n{done.stderr}"
        )
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh venv (with pip, for ``agentkit install``) holding agentkit built from ROOT."""
    uv = shutil.which("uv")
    if not os.environ.get("CI") and not _pypi_reachable():
        pytest.skip("needs PyPI: pip builds the plugins with hatchling in an isolated env")
    base = tmp_path_factory.mktemp("third-party")
    home = base / "agentkit-home"
    home.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AGENTKIT_") and key not in _SCRUBBED
    }
    env["AGENTKIT_HOME"] = str(home)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    path = base / "venv"
    if uv:
        _run([uv, "venv", "--seed", "--python", sys.executable, str(path)], env, INSTALL_TIMEOUT)
    else:
        _run([sys.executable, "-m", "venv", str(path)], env, INSTALL_TIMEOUT)
    env["PATH"] = f"{path / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    venv = Venv(path=path, env=env, uv=uv)
    venv.install(ROOT)
    return venv


@pytest.fixture
def example_absent(venv: Venv) -> Venv:
    venv.ensure(absent=[EXAMPLE_DIST, BROKEN_DIST])
    return venv


@pytest.fixture
def example_installed(venv: Venv) -> Venv:
    venv.ensure(present=[EXAMPLE], absent=[BROKEN_DIST])
    return venv


@pytest.fixture
def broken_installed(venv: Venv) -> Venv:
    venv.ensure(present=[EXAMPLE, BROKEN])
    return venv


def _json(done: subprocess.CompletedProcess[str]) -> object:
    assert done.returncode == 0, f"exit {done.returncode}; stderr:\n{done.stderr}"
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        pytest.fail(f"stdout is not one JSON document ({exc}):\n{done.stdout}")


def _by_name(entries: object) -> dict[str, dict]:
    assert isinstance(entries, list), entries
    return {entry["name"]: entry for entry in entries}


def _stderr_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


def _call_word_stats() -> list[str]:
    return ["tools", "call", "word_stats", "--args", WORD_STATS_ARGS, "--json"]


def _assert_one_broken_warning(done: subprocess.CompletedProcess[str]) -> None:
    lines = _stderr_lines(done)
    assert len(lines) == 1, f"expected exactly one warning line on stderr, got:\n{done.stderr}"
    assert lines[0].startswith("Warning:"), lines[0]
    assert BROKEN_DIST in lines[0], lines[0]
    assert UNINSTALL_HINT in lines[0], lines[0]
    assert "Traceback" not in done.stderr


# -- the example plugin: install, use, uninstall ------------------------------------------


def test_install_puts_the_example_plugin_into_agentkits_own_environment(
    example_absent: Venv,
) -> None:
    venv = example_absent
    assert EXAMPLE_DIST not in venv.distributions()

    done = venv.agentkit("install", str(EXAMPLE), timeout=INSTALL_TIMEOUT)

    assert done.returncode == 0, f"agentkit install failed:\n{done.stdout}\n{done.stderr}"
    assert EXAMPLE_DIST in venv.distributions()
    plugins = _by_name(_json(venv.agentkit("plugins", "--json")))
    assert plugins["example"] == {
        "name": "example",
        "distribution": EXAMPLE_DIST,
        "version": _version(EXAMPLE / "pyproject.toml"),
        "hooks": ["register_tools"],
        "status": "ok",
        "error": None,
        "builtin": False,
    }


def test_installed_plugin_tool_is_listed_with_its_plugin_and_json_schema(
    example_installed: Venv,
) -> None:
    done = example_installed.agentkit("tools", "--json")

    tool = _by_name(_json(done))["word_stats"]
    assert tool["plugin"] == "example"
    assert tool["description"].startswith("Count the words")
    schema = tool["parameters"]
    jsonschema.validators.validator_for(schema).check_schema(schema)
    assert schema["type"] == "object"
    assert schema["properties"]["text"]["type"] == "string"
    assert schema["required"] == ["text"]
    assert done.stderr == ""


def test_installed_plugin_tool_can_be_called_from_the_command_line(
    example_installed: Venv,
) -> None:
    done = example_installed.agentkit("tools", "call", "word_stats", "--args", WORD_STATS_ARGS)
    result = _json(example_installed.agentkit(*_call_word_stats()))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["words"] == 3
    assert result["ok"] is True
    assert result["error"] is None
    assert result["output"] == {
        "words": 3,
        "lines": 1,
        "characters": 5,
        "most_common": [["a", 2], ["b", 1]],
    }


def test_strict_mode_is_silent_when_every_plugin_loads(example_installed: Venv) -> None:
    done = example_installed.agentkit("tools", "--json", env={"AGENTKIT_STRICT_PLUGINS": "1"})

    assert "word_stats" in _by_name(_json(done))
    assert done.stderr == ""


def test_uninstall_removes_the_plugin_and_its_tool(example_installed: Venv) -> None:
    venv = example_installed

    done = venv.agentkit("uninstall", EXAMPLE_DIST, timeout=INSTALL_TIMEOUT)

    assert done.returncode == 0, f"agentkit uninstall failed:\n{done.stdout}\n{done.stderr}"
    assert EXAMPLE_DIST not in venv.distributions()
    plugins = _by_name(_json(venv.agentkit("plugins", "--json")))
    assert "example" not in plugins
    assert "agentkit._builtin" in plugins
    assert "word_stats" not in _by_name(_json(venv.agentkit("tools", "--json")))
    call = venv.agentkit(*_call_word_stats())
    assert call.returncode != 0
    assert len(_stderr_lines(call)) == 1, call.stderr
    assert "word_stats" in call.stderr
    assert "Traceback" not in call.stderr


# -- a plugin that raises on import -----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["plugins", "--json"], ["tools", "--json"], _call_word_stats()],
    ids=["plugins", "tools", "tools-call"],
)
def test_broken_plugin_warns_once_and_commands_keep_working(
    broken_installed: Venv, args: list[str]
) -> None:
    done = broken_installed.agentkit(*args)

    document = _json(done)
    _assert_one_broken_warning(done)
    if args[0] == "plugins":
        assert _by_name(document)["example"]["status"] == "ok"
    elif args[1] == "call":
        assert document["ok"] is True
        assert document["output"]["words"] == 3
    else:
        assert _by_name(document)["word_stats"]["plugin"] == "example"


def test_broken_plugin_is_listed_as_failed_with_its_reason(broken_installed: Venv) -> None:
    plugins = _by_name(_json(broken_installed.agentkit("plugins", "--json")))

    broken = plugins["broken"]
    assert broken["distribution"] == BROKEN_DIST
    assert broken["version"] == _version(BROKEN / "pyproject.toml")
    assert broken["status"] == "failed"
    assert broken["error"] == BROKEN_REASON
    assert broken["hooks"] == []


@pytest.mark.parametrize("args", [["--version"], ["--help"]], ids=["version", "help"])
def test_version_and_help_work_with_a_broken_plugin_installed(
    broken_installed: Venv, args: list[str]
) -> None:
    done = broken_installed.agentkit(*args)

    assert done.returncode == 0, done.stderr
    if args == ["--version"]:
        assert done.stdout.strip() == f"agentkit, version {_version(ROOT / 'pyproject.toml')}"
    else:
        assert done.stdout.startswith("Usage: agentkit")
        assert "plugins" in done.stdout
    # These need no plugin, so whether they load plugins at all is the CLI's choice; if they
    # do, the broken one may cost one warning line and nothing more.
    lines = _stderr_lines(done)
    assert len(lines) <= 1, f"more than one line on stderr:\n{done.stderr}"
    if lines:
        _assert_one_broken_warning(done)


def test_install_and_uninstall_keep_working_with_a_broken_plugin_installed(
    broken_installed: Venv,
) -> None:
    venv = broken_installed

    removed = venv.agentkit("uninstall", EXAMPLE_DIST, timeout=INSTALL_TIMEOUT)
    assert removed.returncode == 0, f"{removed.stdout}\n{removed.stderr}"
    assert EXAMPLE_DIST not in venv.distributions()
    added = venv.agentkit("install", str(EXAMPLE), timeout=INSTALL_TIMEOUT)
    assert added.returncode == 0, f"{added.stdout}\n{added.stderr}"
    assert EXAMPLE_DIST in venv.distributions()
    assert "Traceback" not in removed.stderr + added.stderr


@pytest.mark.parametrize(
    "args",
    [["tools"], ["tools", "--json"], ["plugins", "--json"]],
    ids=["tools", "tools-json", "plugins-json"],
)
def test_strict_mode_turns_a_broken_plugin_into_a_one_line_error(
    broken_installed: Venv, args: list[str]
) -> None:
    done = broken_installed.agentkit(*args, env={"AGENTKIT_STRICT_PLUGINS": "1"})

    assert done.returncode != 0, f"strict mode exited 0:\n{done.stdout}"
    lines = _stderr_lines(done)
    assert len(lines) == 1, f"expected one error line on stderr, got:\n{done.stderr}"
    assert lines[0].startswith("Error:"), lines[0]
    assert BROKEN_DIST in lines[0]
    assert BROKEN_REASON in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_debug_flag_shows_the_traceback_of_a_strict_plugin_error(
    broken_installed: Venv,
) -> None:
    done = broken_installed.agentkit("--debug", "tools", env={"AGENTKIT_STRICT_PLUGINS": "1"})

    assert done.returncode != 0, f"strict mode exited 0:\n{done.stdout}"
    assert "Traceback (most recent call last)" in done.stderr, (
        "`agentkit --debug tools` with AGENTKIT_STRICT_PLUGINS=1 printed no traceback, only:\n"
        f"{done.stderr}\nDESIGN.md: errors are one line 'unless --debug is given'; the CLI's "
        "`except AgentkitError` branch (agentkit/cli/__init__.py) ignores --debug."
    )
    assert "this plugin is broken on purpose" in done.stderr
