"""Hook specifications: the whole plugin surface of agentkit.

Hooks grow only by new arguments, and agentkit always calls them with keyword
arguments, so an implementation may accept any subset of a hook's arguments.
Every hook here is documented in ``docs/plugins.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from agentkit.models.base import ModelCall, ModelResponse
    from agentkit.tools import ToolCall, ToolResult

hookspec = pluggy.HookspecMarker("agentkit")
hookimpl = pluggy.HookimplMarker("agentkit")

Register = Callable[..., Any]


# -- Contributions ---------------------------------------------------------------------


@hookspec
def register_tools(register: Register) -> None:
    """Contribute tools.

    Called once per plugin the first time agentkit builds its tool registry
    (and again after plugins are added or removed).

    :param register: call ``register(tool, name=None)`` for each tool. ``tool`` is an
        :class:`agentkit.Tool`, a plain function (wrapped with :func:`agentkit.tool`)
        or a :class:`agentkit.Toolbox` instance, which contributes every public method.
    :returns: nothing. Every implementation is called. The host stamps each tool with
        the plugin that gave it. On a name clash the plugin loaded first keeps the name
        (built-in plugins, then entry points sorted by name) and a warning names both.
    """


@hookspec
def register_models(register: Register) -> None:
    """Contribute models.

    Called once per plugin the first time agentkit builds its model registry.

    :param register: call ``register(model, aliases=())`` for each object that
        implements the :class:`agentkit.Model` protocol (``name`` and ``complete``).
    :returns: nothing. Every implementation is called; clashes resolve as for tools.
    """


@hookspec
def register_verifiers(register: Register) -> None:
    """Contribute verifiers.

    Called once per plugin the first time agentkit builds its verifier registry.

    :param register: call ``register(verifier)`` for each :class:`agentkit.Verifier`.
    :returns: nothing. Every implementation is called; clashes resolve as for tools.
    """


@hookspec
def register_workflows(register: Register) -> None:
    """Contribute named workflows.

    Called once per plugin the first time agentkit builds its workflow registry.

    :param register: call ``register(workflow, name=None)`` for each workflow callable.
    :returns: nothing. Every implementation is called; clashes resolve as for tools.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``agentkit`` command line.

    Called once, when the CLI first needs its list of commands, after plugins load.

    :param cli: the top-level click group; use ``@cli.command()`` or ``cli.add_command``.
    :returns: nothing. Every implementation is called. A plugin command never replaces
        a built-in one: the clash is reported as a warning and the built-in stays.
    """


# -- Calls --------------------------------------------------------------------------------


@hookspec(firstresult=True)
def call_tool(call: ToolCall) -> ToolResult | None:
    """Run one tool call.

    Called for every tool call, from a worker thread, after the tool was looked up and
    before its arguments are validated. agentkit's own implementation runs last and
    executes the tool. Wrap it with ``@hookimpl(wrapper=True)`` to trace, approve,
    cache or apply policy: the code before ``yield`` may inspect or change
    ``call.arguments`` or raise to refuse the call (the caller then gets a failed
    :class:`agentkit.ToolResult`); ``yield`` returns the result, which the wrapper
    returns, possibly changed.

    :param call: the :class:`agentkit.ToolCall`: ``tool``, ``arguments``, ``timeout``
        and the ``run`` it belongs to (or None).
    :returns: a :class:`agentkit.ToolResult`. Stops at the first non-None result, so an
        ordinary implementation that returns one (a cache hit) skips the execution.
    """


@hookspec(firstresult=True)
def call_model(call: ModelCall) -> ModelResponse | None:
    """Run one model call.

    Called for every call to a model, from the calling thread. agentkit's own
    implementation runs last and calls ``call.model.complete``. Wrappers work as for
    :func:`call_tool`: change ``call.messages`` or ``call.options`` before ``yield``,
    inspect or replace the response after it, or raise to refuse the call.

    :param call: the :class:`agentkit.ModelCall`: ``model``, ``messages``, ``tools``,
        ``options``, ``stream``, ``on_delta`` and ``run``.
    :returns: a :class:`agentkit.ModelResponse`. Stops at the first non-None result.
    """
