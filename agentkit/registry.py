"""Registries of what plugins contribute: tools, models, verifiers, workflows.

Each registry is built by calling its ``register_*`` hook once per plugin, in load
order, so every contribution can be stamped with the plugin that gave it. A name that
is already taken stays with the plugin loaded first, and the clash is reported. The
registries are rebuilt whenever a plugin is registered or unregistered.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from agentkit.errors import AgentkitError, UnknownToolError, did_you_mean
from agentkit.plugins import plugins_in_load_order, pm, report_plugin_failure
from agentkit.tools import Tool, Toolbox

T = TypeVar("T")


class NameClashWarning(UserWarning):
    """Two plugins contributed something under the same name."""


@dataclass
class Entry(Generic[T]):
    name: str
    item: T
    plugin: str


class Registry(Generic[T]):
    """Named contributions of one kind, each stamped with its plugin."""

    def __init__(self, kind: str, entries: dict[str, Entry[T]]) -> None:
        self.kind = kind
        self.entries = entries

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def names(self) -> list[str]:
        return sorted(self.entries)

    def get(self, name: str) -> T:
        entry = self.entries.get(name)
        if entry is None:
            raise self.unknown(name)
        return entry.item

    def unknown(self, name: str) -> AgentkitError:
        hint = did_you_mean(name, self.entries)
        listing = f" (see: agentkit {self.kind}s)"
        error = UnknownToolError if self.kind == "tool" else AgentkitError
        return error(f"unknown {self.kind} '{name}'{hint or listing}")


Normaliser = Callable[..., list[tuple[str, Any]]]

_cache: dict[str, tuple[int, Registry[Any]]] = {}
_cache_lock = threading.Lock()


def build_registry(kind: str, hook_name: str, normalise: Normaliser) -> Registry[Any]:
    """Call ``hook_name`` plugin by plugin; cached until the set of plugins changes."""
    plugins = plugins_in_load_order()
    cached = _cache.get(hook_name)
    if cached is not None and cached[0] == pm.generation:
        return cached[1]
    with _cache_lock:
        generation = pm.generation
        entries: dict[str, Entry[Any]] = {}
        for plugin_name, plugin in plugins:
            others = [p for _, p in plugins if p is not plugin]
            caller = pm.subset_hook_caller(hook_name, remove_plugins=others)

            def register(item: Any, *args: Any, _plugin: str = plugin_name, **kwargs: Any) -> None:
                for name, obj in normalise(item, *args, plugin=_plugin, **kwargs):
                    _add(kind, entries, Entry(name, obj, _plugin))

            try:
                caller(register=register)
            except Exception as exc:
                report_plugin_failure(plugin_name, exc, during=hook_name)
        registry = Registry(kind, entries)
        _cache[hook_name] = (generation, registry)
        return registry


def _add(kind: str, entries: dict[str, Entry[Any]], entry: Entry[Any]) -> None:
    existing = entries.get(entry.name)
    if existing is None:
        entries[entry.name] = entry
        return
    warnings.warn(
        f"{kind} '{entry.name}' from plugin '{entry.plugin}' clashes with the one from "
        f"plugin '{existing.plugin}', which keeps the name",
        NameClashWarning,
        stacklevel=3,
    )


def _tool_entries(
    item: Any, name: str | None = None, *, plugin: str, **kwargs: Any
) -> list[tuple[str, Tool]]:
    if isinstance(item, Toolbox):
        tools = item.tools()
    elif isinstance(item, Tool):
        tools = [item if name is None else dataclasses.replace(item, name=name)]
    elif callable(item):
        tools = [Tool.function(item, name=name, **kwargs)]
    else:
        raise TypeError(f"register() takes a Tool, a function or a Toolbox, not {item!r}")
    return [(tool.name, tool.with_plugin(plugin)) for tool in tools]


def _named_entries(
    item: Any, name: str | None = None, aliases: tuple[str, ...] = (), *, plugin: str
) -> list[tuple[str, Any]]:
    primary = name or getattr(item, "name", None) or getattr(item, "__name__", None)
    if not primary:
        raise TypeError(f"register() needs a name for {item!r}")
    # Objects with __slots__ or frozen dataclasses cannot be stamped; they stay as they are.
    with contextlib.suppress(AttributeError):
        item.plugin = plugin
    return [(alias, item) for alias in (primary, *aliases)]


def get_tools() -> Registry[Tool]:
    """Every tool from every loaded plugin."""
    return build_registry("tool", "register_tools", _tool_entries)


def get_tool(name: str) -> Tool:
    return get_tools().get(name)


def get_models() -> Registry[Any]:
    return build_registry("model", "register_models", _named_entries)


def get_verifiers() -> Registry[Any]:
    return build_registry("verifier", "register_verifiers", _named_entries)


def get_workflows() -> Registry[Any]:
    return build_registry("workflow", "register_workflows", _named_entries)
