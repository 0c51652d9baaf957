"""Meta-tests that keep the plugin surface and the CLI honest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentkit.cli import cli
from agentkit.plugins import pm

ROOT = Path(__file__).resolve().parents[2]
HOOKS = sorted(name for name in dir(pm.hook) if not name.startswith("_"))
DOCUMENTED = dict(
    re.findall(r"^### (\w+)\(([^)]*)\)$", (ROOT / "docs" / "plugins.md").read_text(), re.M)
)


def test_every_hook_is_listed():
    assert sorted(DOCUMENTED) == HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_its_signature(hook):
    documented = [arg.strip() for arg in DOCUMENTED[hook].split(",") if arg.strip()]
    assert documented == list(getattr(pm.hook, hook).spec.argnames)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    sources = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert f"def test_hook_{hook}(" in sources


@pytest.mark.parametrize("hook", HOOKS)
def test_hookspec_docstring_says_when_params_and_returns(hook):
    doc = getattr(pm.hook, hook).spec.function.__doc__
    assert "Called" in doc and ":param" in doc and ":returns:" in doc


def test_every_command_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"agentkit {name}" in readme, name
