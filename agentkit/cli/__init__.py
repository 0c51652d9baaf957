"""The ``agentkit`` command line: one click group, commands spread over this package.

Importing this package loads no plugin. Plugins load when a command needs them, and
their ``register_commands`` hooks run the first time the group lists or looks up a
command. Every error ends as one line on stderr and a non-zero exit, unless
``--debug`` (or ``AGENTKIT_DEBUG=1``) asks for the traceback.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import click

from agentkit.cli.output import one_line
from agentkit.errors import AgentkitError


class AgentkitGroup(click.Group):
    """The root group: plugin commands on demand, and errors as one line."""

    _plugin_commands_added = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def _add_plugin_commands(self) -> None:
        if self._plugin_commands_added:
            return
        self._plugin_commands_added = True
        from agentkit.plugins import pm, report_plugin_failure

        builtin = dict(self.commands)
        plugins = _plugins()
        for name, plugin in plugins:
            others = [p for _, p in plugins if p is not plugin]
            try:
                pm.subset_hook_caller("register_commands", remove_plugins=others)(cli=self)
            except Exception as exc:
                report_plugin_failure(name, exc, during="register_commands")
            for command_name, command in builtin.items():
                if self.commands.get(command_name) is not command:
                    warnings.warn(
                        f"plugin '{name}' tried to replace the built-in command "
                        f"'{command_name}'; the built-in stays",
                        stacklevel=2,
                    )
                    self.commands[command_name] = command

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        debug = "--debug" in argv or os.environ.get("AGENTKIT_DEBUG") == "1"
        previous = warnings.showwarning
        warnings.showwarning = _one_line_warning
        try:
            code = _exit_code(
                super().main(argv, prog_name or "agentkit", complete_var, False, **extra)
            )
        except click.UsageError as exc:
            hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
            code = _fail(f"{exc.format_message()}{hint}", exc.exit_code)
        except click.ClickException as exc:
            code = _fail(exc.format_message(), exc.exit_code)
        except click.Abort:
            code = _fail("aborted", 130)
        except Exception as exc:
            if debug:
                raise
            if isinstance(exc, AgentkitError):
                code = _fail(str(exc), 1)
            else:
                code = _fail(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)", 1)
        finally:
            warnings.showwarning = previous
        if standalone_mode:
            sys.exit(code)
        return code


def _plugins() -> list[tuple[str, object]]:
    from agentkit.plugins import plugins_in_load_order

    return plugins_in_load_order()


def _exit_code(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _fail(message: str, code: int) -> int:
    click.echo(f"Error: {one_line(message)}", err=True)
    return code


def _one_line_warning(
    message: Warning | str, category: type[Warning], *args: Any, **kw: Any
) -> None:
    click.echo(f"Warning: {one_line(str(message))}", err=True)


@click.group(cls=AgentkitGroup)
@click.version_option(package_name="agentkit", prog_name="agentkit")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """agentkit: plan, call tools, verify, and feed failures back to the model."""


def main() -> None:
    """Console-script entry point."""
    cli.main()


from agentkit.cli import chat as _chat  # noqa: E402
from agentkit.cli import models as _models  # noqa: E402
from agentkit.cli import plugins as _plugins_cmd  # noqa: E402
from agentkit.cli import run as _run  # noqa: E402
from agentkit.cli import solve as _solve  # noqa: E402
from agentkit.cli import tools as _tools  # noqa: E402

for _module in (_plugins_cmd, _tools, _models, _solve, _run, _chat):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
