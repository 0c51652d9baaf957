from __future__ import annotations

import subprocess
import sys

import pytest

import agentkit
from agentkit.errors import PluginError
from agentkit.plugins import DEFAULT_PLUGINS, PluginLoadWarning, load_plugins, plugin_infos, pm
from agentkit.registry import NameClashWarning, get_tools

GOOD = """
import agentkit

@agentkit.hookimpl
def register_tools(register):
    def {name}(text: str) -> str:
        '''Say which plugin answered.'''
        return "{name}:" + text
    register({name})
"""

CLASHING = """
import agentkit

@agentkit.hookimpl
def register_tools(register):
    def shared(text: str) -> str:
        '''Answer from {name}.'''
        return "{name}"
    register(shared)
"""


def test_importing_agentkit_and_its_cli_loads_no_plugin():
    code = "import agentkit, agentkit.cli; print(len(agentkit.pm.list_name_plugin()))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "0"


def test_loading_is_idempotent(make_distribution, monkeypatch):
    make_distribution("counted", GOOD.format(name="counted") + "\nLOADS = []\nLOADS.append(1)\n")
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "counted")
    load_plugins()
    load_plugins()
    module = pm.get_plugin("counted")
    assert module.LOADS == [1]
    assert [name for name, _ in pm.list_name_plugin()].count("counted") == 1


def test_broken_plugin_warns_names_distribution_and_others_keep_working(
    make_distribution, monkeypatch
):
    make_distribution("broken", "raise RuntimeError('kaput')")
    make_distribution("fine", GOOD.format(name="fine"))
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "broken,fine")
    with pytest.warns(PluginLoadWarning) as caught:
        load_plugins()
    [warning] = caught
    message = str(warning.message)
    assert "agentkit-fx-broken" in message
    assert "RuntimeError: kaput" in message
    assert "agentkit uninstall agentkit-fx-broken" in message
    assert agentkit.call_tool("fine", {"text": "x"}).output == "fine:x"
    failed = {info.name: info for info in plugin_infos() if info.status == "failed"}
    assert failed["broken"].error == "RuntimeError: kaput"
    assert failed["broken"].distribution == "agentkit-fx-broken"


def test_strict_mode_turns_a_broken_plugin_into_an_error(make_distribution, monkeypatch):
    make_distribution("broken", "raise ImportError('missing dependency')")
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "broken")
    monkeypatch.setenv("AGENTKIT_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"agentkit-fx-broken.*missing dependency"):
        load_plugins()


def test_allowlist_selects_by_entry_point_or_distribution(make_distribution, monkeypatch):
    make_distribution("one", GOOD.format(name="one"))
    make_distribution("two", GOOD.format(name="two"), dist="agentkit-second")
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "agentkit-second")
    assert get_tools().names() == ["two"]


def test_empty_allowlist_loads_only_builtins(make_distribution):
    make_distribution("one", GOOD.format(name="one"))
    load_plugins()
    assert [name for name, _ in pm.list_name_plugin()] == list(DEFAULT_PLUGINS)


def test_misspelled_hook_is_caught_and_named(make_distribution, monkeypatch):
    source = """
import agentkit

@agentkit.hookimpl
def register_tool(register):
    pass
"""
    make_distribution("typo", source)
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "typo")
    with pytest.warns(PluginLoadWarning, match="register_tool"):
        load_plugins()
    assert pm.get_plugin("typo") is None


def test_plugin_that_raises_while_registering_does_not_hide_others(make_distribution, monkeypatch):
    source = """
import agentkit

@agentkit.hookimpl
def register_tools(register):
    raise KeyError("no config")
"""
    make_distribution("faulty", source)
    make_distribution("fine", GOOD.format(name="fine"))
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "faulty,fine")
    with pytest.warns(PluginLoadWarning, match="failed to register_tools: KeyError"):
        names = get_tools().names()
    assert names == ["fine"]


def test_name_clash_is_resolved_by_load_order_and_reported(make_distribution, monkeypatch):
    make_distribution("zeta", CLASHING.format(name="zeta"))
    make_distribution("alpha", CLASHING.format(name="alpha"))
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "zeta,alpha")
    with pytest.warns(NameClashWarning, match="'zeta'.*'alpha', which keeps the name"):
        tools = get_tools()
    assert tools.get("shared").plugin == "alpha"
    assert agentkit.call_tool("shared", {"text": ""}).output == "alpha"


def test_trace_plugins_prints_each_hook_call(tmp_path):
    code = (
        "import agentkit\n"
        "def seven() -> int:\n    return 7\n"
        "print(agentkit.call_tool(agentkit.tool(seven), {}).output)"
    )
    env = {
        "AGENTKIT_TRACE_PLUGINS": "1",
        "AGENTKIT_LOAD_PLUGINS": "",
        "AGENTKIT_HOME": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    assert out.stdout.strip() == "7"
    assert "agentkit trace: call_tool(call=ToolCall(" in out.stderr
    assert "agentkit trace: call_tool returned ToolResult(ok=True" in out.stderr


def test_plugin_infos_report_hooks_of_each_plugin(make_distribution, monkeypatch):
    make_distribution("fine", GOOD.format(name="fine"))
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "fine")
    infos = {info.name: info for info in plugin_infos()}
    assert infos["fine"].hooks == ["register_tools"]
    assert infos["fine"].version == "0.3"
    assert infos["fine"].distribution == "agentkit-fx-fine"
    assert infos["agentkit._builtin"].builtin
    assert "call_tool" in infos["agentkit._builtin"].hooks
