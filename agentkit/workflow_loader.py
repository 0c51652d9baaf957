"""Finding a workflow: a registered name, or a ``.py`` file (``file.py[:name]``)."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from agentkit.errors import did_you_mean
from agentkit.workflows import Workflow, WorkflowError, workflow


def load_workflow(spec: str) -> Workflow:
    """A workflow by registered name, or from a file: ``flow.py`` or ``flow.py:name``.

    A file must define exactly one ``@workflow``, unless ``:name`` picks one.
    """
    head, sep, tail = spec.rpartition(":")
    if spec.endswith(".py"):
        return _from_file(spec, None)
    if sep and head.endswith(".py"):
        return _from_file(head, tail)
    return _registered(spec)


def _registered(name: str) -> Workflow:
    from agentkit.registry import get_workflows

    registry = get_workflows()
    entry = registry.entries.get(name)
    if entry is None:
        hint = did_you_mean(name, registry.names())
        known = ", ".join(registry.names()) or "none"
        raise WorkflowError(
            f"unknown workflow '{name}'{hint} (registered: {known}; or give a path to a .py file)"
        )
    item = entry.item if isinstance(entry.item, Workflow) else _wrap(entry.item, name)
    return dataclasses.replace(item, name=name, plugin=entry.plugin, source=name)


def _wrap(item: Any, name: str) -> Workflow:
    if not callable(item):
        raise WorkflowError(f"workflow '{name}' is {item!r}, not a workflow function")
    return workflow(item)


def _from_file(path_text: str, wanted: str | None) -> Workflow:
    path = Path(path_text).expanduser().resolve()
    if not path.is_file():
        raise WorkflowError(f"no workflow file {path_text}")
    module = _import_file(path)
    found = {
        item.name: item
        for item in vars(module).values()
        if isinstance(item, Workflow) and item.fn.__module__ == module.__name__
    }
    names = ", ".join(sorted(found))
    if wanted is not None and wanted not in found:
        raise WorkflowError(
            f"{path_text} has no workflow '{wanted}' (it defines: {names or 'none'})"
        )
    if wanted is None and len(found) != 1:
        if not found:
            raise WorkflowError(f"{path_text} defines no @agentkit.workflow")
        raise WorkflowError(
            f"{path_text} defines several workflows ({names}); pick one as {path_text}:NAME"
        )
    chosen = found[wanted] if wanted is not None else next(iter(found.values()))
    return dataclasses.replace(chosen, source=f"{path}:{chosen.name}")


def _import_file(path: Path) -> Any:
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    module_name = f"agentkit_workflow_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise WorkflowError(f"cannot load workflow file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while it runs
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        raise WorkflowError(
            f"cannot load workflow file {path}: {type(exc).__name__}: {exc}"
        ) from exc
    return module
