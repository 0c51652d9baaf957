"""``agentkit plugins``, ``install`` and ``uninstall``."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import subprocess
import sys

import click

from agentkit.cli.output import json_option, print_json, print_table
from agentkit.errors import AgentkitError


@click.command(name="plugins")
@json_option
def plugins_command(as_json: bool) -> None:
    """List installed plugins: name, version, hooks and status (ok, or failed and why)."""
    from agentkit.plugins import plugin_infos

    infos = plugin_infos()
    if as_json:
        print_json([dataclasses.asdict(info) for info in infos])
        return
    rows = [
        [
            info.name,
            info.version or ("builtin" if info.builtin else "-"),
            info.status if info.status == "ok" else f"failed: {info.error}",
            ", ".join(info.hooks) or "-",
        ]
        for info in infos
    ]
    print_table(rows, ["NAME", "VERSION", "STATUS", "HOOKS"])


@click.command(name="install")
@click.argument("packages", nargs=-1, required=True)
@click.option("-U", "--upgrade", is_flag=True, help="Upgrade packages that are installed.")
@click.option("-e", "--editable", is_flag=True, help="Install a local path in editable mode.")
def install_command(packages: tuple[str, ...], upgrade: bool, editable: bool) -> None:
    """Install plugins (PyPI names or paths) into agentkit's own environment."""
    args = ["install", *(["--upgrade"] if upgrade else [])]
    for package in packages:
        args += ["-e", package] if editable else [package]
    _pip(args)


@click.command(name="uninstall")
@click.argument("packages", nargs=-1, required=True)
def uninstall_command(packages: tuple[str, ...]) -> None:
    """Uninstall plugins from agentkit's own environment."""
    _pip(["uninstall", *packages], confirm_flag="-y")


def _pip(args: list[str], confirm_flag: str | None = None) -> None:
    """Run pip for the interpreter agentkit runs on (uv's pip where pip is absent)."""
    if importlib.util.find_spec("pip") is not None:
        command = [sys.executable, "-m", "pip", *args, *([confirm_flag] if confirm_flag else [])]
    elif shutil.which("uv"):
        command = ["uv", "pip", *args, "--python", sys.executable]
    else:
        raise AgentkitError(
            f"neither pip nor uv is available for {sys.executable}; "
            "install pip into that environment"
        )
    completed = subprocess.run(command, check=False)
    if completed.returncode != 0:
        raise AgentkitError(f"{' '.join(command[:4])} ... failed (exit {completed.returncode})")


COMMANDS = [plugins_command, install_command, uninstall_command]
