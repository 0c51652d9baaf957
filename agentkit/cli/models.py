"""``agentkit models``."""

from __future__ import annotations

import click

from agentkit.cli.output import echo, json_option, print_json, print_table


@click.command(name="models")
@json_option
@click.option("--remote", is_flag=True, help="Also ask the endpoint which models it serves.")
def models_command(as_json: bool, remote: bool) -> None:
    """List the models plugins registered, the default model and the endpoint."""
    from agentkit.config import load_settings
    from agentkit.models import OpenAIModel
    from agentkit.registry import get_models

    settings = load_settings()
    endpoint = OpenAIModel(settings.model or "")
    document = {
        "default": settings.model,
        "endpoint": {
            "base_url": endpoint.shown_url,
            "api_key_set": bool(endpoint.describe()["api_key_set"]),
        },
        "models": [_describe(entry) for entry in sorted(get_models(), key=lambda e: e.name)],
    }
    if remote:
        document["remote"] = endpoint.list_remote()
    if as_json:
        print_json(document)
        return
    echo(f"default model: {settings.model or '(none: set AGENTKIT_MODEL or pass -m)'}")
    key_state = "set" if document["endpoint"]["api_key_set"] else "not set"
    echo(f"endpoint: {endpoint.shown_url} (key {key_state})")
    rows = [[m["name"], m["plugin"] or "-", m["description"]] for m in document["models"]]
    if rows:
        print_table(rows, ["MODEL", "PLUGIN", "DETAILS"])
    for model_id in document.get("remote", []):
        echo(f"remote: {model_id}")


def _describe(entry) -> dict[str, object]:  # type: ignore[no-untyped-def]
    model = entry.item
    details = model.describe() if hasattr(model, "describe") else {}
    text = ", ".join(f"{k}={v}" for k, v in details.items() if k != "name")
    return {"name": entry.name, "plugin": entry.plugin, "description": text, **details}


COMMANDS = [models_command]
