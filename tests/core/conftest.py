from __future__ import annotations

import textwrap

import pytest

import agentkit
from agentkit.plugins import pm


@pytest.fixture
def add_plugin():
    """Register an in-test plugin made of hook functions; unregistered afterwards."""
    names: list[str] = []

    def add(name: str, **hooks):
        marked = {
            hook: fn if hasattr(fn, "agentkit_impl") else agentkit.hookimpl(fn)
            for hook, fn in hooks.items()
        }
        agentkit.load_plugins()
        # A class, not an instance: pluggy needs plugins to be hashable.
        plugin = type(f"InTestPlugin_{name}", (), {k: staticmethod(f) for k, f in marked.items()})
        pm.register(plugin, name=name)
        names.append(name)

    yield add
    for name in names:
        if pm.get_plugin(name) is not None:
            pm.unregister(name=name)


@pytest.fixture
def make_distribution(tmp_path, monkeypatch):
    """Write an installed-looking distribution (a module and its dist-info) onto sys.path."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(entry_point: str, source: str, dist: str | None = None) -> str:
        module = f"agentkit_fx_{entry_point}"
        dist = dist or f"agentkit-fx-{entry_point}"
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-0.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3\n")
        (info / "entry_points.txt").write_text(f"[agentkit]\n{entry_point} = {module}\n")
        monkeypatch.syspath_prepend(str(site))  # also invalidates import caches
        return dist

    return make
