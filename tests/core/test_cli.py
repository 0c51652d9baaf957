from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

import agentkit
from agentkit.cli import cli
from agentkit.store import Store


@agentkit.tool
def divide(a: float, b: float) -> float:
    """Divide a by b."""
    return a / b


@pytest.fixture
def with_divide(add_plugin):
    add_plugin("calc", register_tools=lambda register: register(divide))


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"agentkit, version {agentkit.__version__}\n"


def test_every_command_has_help_text():
    commands = list(all_commands(cli))
    assert {path for path, _ in commands} >= {
        ("plugins",),
        ("install",),
        ("uninstall",),
        ("tools",),
        ("tools", "call"),
        ("models",),
    }
    for path, command in commands:
        assert command.help and len(command.help.strip()) > 15, path
        result = invoke(*path, "--help")
        assert result.exit_code == 0
        assert " ".join(command.help.split()) in " ".join(result.stdout.split())


def test_tools_json_lists_name_plugin_description_and_schema(with_divide):
    result = invoke("tools", "--json")
    assert result.exit_code == 0
    [described] = [t for t in json.loads(result.stdout) if t["name"] == "divide"]
    assert described["plugin"] == "calc"
    assert described["description"] == "Divide a by b."
    assert described["parameters"]["required"] == ["a", "b"]


def test_tools_call_prints_the_result_and_records_a_run(with_divide, isolated_agentkit):
    result = invoke("tools", "call", "divide", "--args", '{"a": 1, "b": 4}', "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["ok"] is True and document["output"] == 0.25
    [run] = Store().list_runs()
    assert (run["kind"], run["name"], run["status"]) == ("tool", "divide", "done")
    assert Store().events(run["id"])[0]["payload"]["result"]["output"] == 0.25


def test_failed_tool_call_exits_non_zero_with_one_line(with_divide):
    result = invoke("tools", "call", "divide", "--args", '{"a": 1, "b": 0}')
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: ZeroDivisionError: float division by zero\n"

    as_json = invoke("tools", "call", "divide", "--args", '{"a": 1, "b": 0}', "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["error"] == "ZeroDivisionError: float division by zero"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["tools", "call", "divide", "--args", "{oops"],
            "Error: Invalid value for --args: not valid JSON",
        ),
        (["tools", "call", "divide", "--args", "[1, 2]"], "must be a JSON object"),
        (["tools", "call", "divde"], "Error: unknown tool 'divde'; did you mean 'divide'?"),
        (["tools", "call", "divide", "--args", '{"a": "x", "b": 1}'], "argument 'a'"),
        (["no-such-command"], "Error: No such command 'no-such-command'"),
    ],
)
def test_bad_input_gives_one_clear_line(with_divide, args, message):
    result = invoke(*args)
    assert result.exit_code != 0
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_plugins_json_is_one_document():
    result = invoke("plugins", "--json")
    assert result.exit_code == 0
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    assert set(plugins) == {"agentkit._builtin", "agentkit.models.cache"}
    builtin = plugins["agentkit._builtin"]
    assert builtin["status"] == "ok" and builtin["builtin"] is True
    assert "call_tool" in builtin["hooks"]


def test_models_lists_configured_endpoints(isolated_agentkit, monkeypatch):
    (isolated_agentkit / "config.toml").write_text(
        'model = "local"\n[models.local]\nmodel = "qwen"\nbase_url = "http://127.0.0.1:9/v1"\n'
    )
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-be-printed-0000000")
    result = invoke("models", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["default"] == "local"
    [local] = document["models"]
    assert (local["name"], local["model_id"], local["base_url"]) == (
        "local",
        "qwen",
        "http://127.0.0.1:9/v1",
    )
    assert "sk-should-not" not in result.output


def test_models_remote_on_an_unreachable_endpoint_is_one_line(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    result = CliRunner().invoke(cli, ["models", "--remote"])
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: cannot reach the model endpoint at http://127.0.0.1:9/v1")


def test_a_config_file_error_is_one_line(isolated_agentkit):
    (isolated_agentkit / "config.toml").write_text("model = \n")
    result = invoke("models")
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: cannot read") and "config.toml" in line


def test_debug_shows_the_traceback_of_an_unexpected_error(add_plugin):
    def register_tools(register):
        raise RuntimeError("plugin bug")

    add_plugin("buggy", register_tools=register_tools)
    env = {"AGENTKIT_STRICT_PLUGINS": "1"}
    plain = CliRunner().invoke(cli, ["tools"], env=env)
    assert plain.exit_code == 1
    assert plain.stderr.count("\n") == 1 and "plugin bug" in plain.stderr
    debug = CliRunner().invoke(cli, ["--debug", "tools"], env=env)
    assert debug.exit_code == 1
    assert isinstance(debug.exception, agentkit.errors.PluginError)


def test_console_script_runs_a_real_tool_call(tmp_path):
    code = "from agentkit.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "tools", "call", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"AGENTKIT_HOME": str(tmp_path), "AGENTKIT_LOAD_PLUGINS": ""},
    )
    assert result.returncode == 1
    assert result.stderr == "Error: unknown tool 'nope' (see: agentkit tools)\n"
