"""Plugin loading: one module-level plugin manager, loaded lazily and defensively.

Entry points in the ``agentkit`` group are loaded one at a time, each inside its own
try/except: a plugin that fails to import, registers a misspelled hook or raises in a
registration hook is reported in one warning line naming its distribution and how to
uninstall it, and everything else keeps working. ``AGENTKIT_STRICT_PLUGINS=1`` turns
that warning into a :class:`PluginError`.

Environment:

- ``AGENTKIT_LOAD_PLUGINS``: comma-separated allowlist of entry-point or distribution
  names. Set but empty, no entry point is loaded (the built-in plugins always are).
- ``AGENTKIT_STRICT_PLUGINS=1``: a failing plugin is an error, not a warning.
- ``AGENTKIT_TRACE_PLUGINS=1``: print every hook call and its outcome to stderr.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from importlib.metadata import Distribution, EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy

from agentkit import hookspecs
from agentkit.errors import PluginError

DEFAULT_PLUGINS: tuple[str, ...] = ("agentkit._builtin", "agentkit.models.cache")


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; agentkit carries on without it."""


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that counts changes, so registries know when to rebuild."""

    def __init__(self) -> None:
        super().__init__("agentkit")
        self.generation = 0

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        self.generation += 1
        return registered

    def unregister(self, plugin: object | None = None, name: str | None = None) -> Any:
        removed = super().unregister(plugin, name)
        self.generation += 1
        return removed


@dataclass
class PluginInfo:
    """What ``agentkit plugins`` reports about one plugin."""

    name: str
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    status: str = "ok"
    error: str | None = None
    builtin: bool = False


pm = PluginManager()
pm.add_hookspecs(hookspecs)

_load_lock = threading.RLock()
_loaded = False
_failures: dict[str, PluginInfo] = {}
_distributions: dict[str, Distribution | None] = {}


def load_plugins() -> None:
    """Register the built-in plugins and every allowed entry point, once per process."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if _loaded:
            return
        if os.environ.get("AGENTKIT_TRACE_PLUGINS") == "1":
            pm.add_hookcall_monitoring(_trace_before, _trace_after)
        for module_name in DEFAULT_PLUGINS:
            if pm.get_plugin(module_name) is None:
                pm.register(importlib.import_module(module_name), name=module_name)
        for ep in sorted(_allowed_entry_points(), key=lambda ep: ep.name):
            _load_entry_point(ep)
        _loaded = True


def _allowed_entry_points() -> list[EntryPoint]:
    found = list(entry_points(group="agentkit"))
    allow = os.environ.get("AGENTKIT_LOAD_PLUGINS")
    if allow is None:
        return found
    names = {part.strip() for part in allow.split(",") if part.strip()}
    return [ep for ep in found if ep.name in names or _dist_name(ep) in names]


def _load_entry_point(ep: EntryPoint) -> None:
    if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
        return
    _distributions[ep.name] = ep.dist
    try:
        pm.register(ep.load(), name=ep.name)
        pm.check_pending()
    except Exception as exc:
        if pm.get_plugin(ep.name) is not None:
            pm.unregister(name=ep.name)
        report_plugin_failure(ep.name, exc)


def _dist_name(ep: EntryPoint) -> str | None:
    return ep.dist.metadata["Name"] if ep.dist is not None else None


def report_plugin_failure(plugin_name: str, exc: BaseException, during: str = "load") -> None:
    """Record a broken plugin and warn (or raise, in strict mode) in one line."""
    dist = _distributions.get(plugin_name)
    dist_name = dist.metadata["Name"] if dist is not None else None
    reason = f"{type(exc).__name__}: {exc}".strip()
    _failures[plugin_name] = PluginInfo(
        name=plugin_name,
        distribution=dist_name,
        version=dist.version if dist is not None else None,
        status="failed",
        error=reason,
    )
    label = f"plugin '{plugin_name}'" + (f" (distribution {dist_name})" if dist_name else "")
    remedy = f"; uninstall it with: agentkit uninstall {dist_name}" if dist_name else ""
    message = f"{label} failed to {during}: {reason}{remedy}"
    if os.environ.get("AGENTKIT_STRICT_PLUGINS") == "1":
        raise PluginError(message + " (AGENTKIT_STRICT_PLUGINS=1)") from exc
    warnings.warn(message, PluginLoadWarning, stacklevel=2)


def plugin_infos() -> list[PluginInfo]:
    """Every registered plugin, in load order, followed by the ones that failed."""
    load_plugins()
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist = _distributions.get(name)
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        failure = _failures.get(name)
        infos.append(
            PluginInfo(
                name=name,
                distribution=dist.metadata["Name"] if dist is not None else None,
                version=dist.version if dist is not None else None,
                hooks=hooks,
                status=failure.status if failure else "ok",
                error=failure.error if failure else None,
                builtin=name in DEFAULT_PLUGINS,
            )
        )
    registered = {info.name for info in infos}
    infos.extend(info for name, info in _failures.items() if name not in registered)
    return infos


def plugins_in_load_order() -> list[tuple[str, object]]:
    """(name, plugin) pairs in the order they were registered."""
    load_plugins()
    return [(name, plugin) for name, plugin in pm.list_name_plugin() if plugin is not None]


def reset_for_tests() -> None:
    """Forget which entry points were loaded, so the next call loads them afresh."""
    global _loaded
    with _load_lock:
        for name, plugin in list(pm.list_name_plugin()):
            if plugin is not None and name not in DEFAULT_PLUGINS:
                pm.unregister(name=name)
        _failures.clear()
        _distributions.clear()
        _loaded = False


def _trace_before(hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
    plugins = ", ".join(impl.plugin_name for impl in impls)
    args = ", ".join(f"{key}={_short(value)}" for key, value in kwargs.items())
    print(f"agentkit trace: {hook_name}({args}) -> [{plugins}]", file=sys.stderr)
    _trace_starts().append(time.perf_counter())


def _trace_after(outcome: Any, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
    elapsed_ms = (time.perf_counter() - _trace_starts().pop()) * 1000
    exc = outcome.exception
    shown = (
        f"raised {type(exc).__name__}: {exc}" if exc else f"returned {_short(outcome.get_result())}"
    )
    print(f"agentkit trace: {hook_name} {shown} ({elapsed_ms:.2f} ms)", file=sys.stderr)


_trace_state = threading.local()


def _trace_starts() -> list[float]:
    # A stack, because hooks nest (a tool call inside a model-driven loop, say).
    if not hasattr(_trace_state, "starts"):
        _trace_state.starts = []
    return _trace_state.starts


def _short(value: object, limit: int = 120) -> str:
    text = repr(value) if not isinstance(value, ModuleType) else value.__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
