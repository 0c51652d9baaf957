"""Settings: environment variables over ``$AGENTKIT_HOME/config.toml`` over defaults.

The config file is optional. Its keys::

    model = "gpt-4o-mini"          # default model (AGENTKIT_MODEL wins)
    sandbox = "auto"               # "auto" | "required" | "off"

    [models.local]                 # extra named models on other endpoints
    model = "qwen2.5-coder"        # the id the endpoint knows (default: the table name)
    base_url = "http://127.0.0.1:8000/v1"
    api_key_env = "LOCAL_API_KEY"  # name of the variable holding the key, never the key
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import platformdirs

from agentkit.errors import ConfigError


def home() -> Path:
    """The directory that holds the run store and the config file."""
    explicit = os.environ.get("AGENTKIT_HOME")
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_data_dir("agentkit", appauthor=False))


@dataclass(frozen=True)
class Settings:
    model: str | None = None
    sandbox: str = "auto"
    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def load_settings() -> Settings:
    """Read the config file (if any) and apply environment overrides."""
    return _load_settings(str(home()), os.environ.get("AGENTKIT_MODEL"))


@cache
def _load_settings(home_dir: str, env_model: str | None) -> Settings:
    path = Path(home_dir) / "config.toml"
    raw: dict[str, Any] = {}
    if path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
    sandbox = raw.get("sandbox", "auto")
    if sandbox not in ("auto", "required", "off"):
        raise ConfigError(f"{path}: sandbox must be 'auto', 'required' or 'off', not {sandbox!r}")
    models = raw.get("models", {})
    if not isinstance(models, dict) or not all(isinstance(v, dict) for v in models.values()):
        raise ConfigError(f"{path}: [models.NAME] entries must be tables")
    return Settings(model=env_model or raw.get("model"), sandbox=sandbox, models=models, raw=raw)


T = TypeVar("T")


def settings_from_table(cls: type[T], table: str, **overrides: Any) -> T:
    """``cls()`` (a dataclass) updated by the config file's ``[table]``, then ``overrides``.

    Unknown keys in the table are an error, so a typo never passes silently; overrides
    that are None are ignored.
    """
    values = load_settings().raw.get(table, {})
    if not isinstance(values, dict):
        raise ConfigError(f"config: [{table}] must be a table")
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"config [{table}]: unknown keys {sorted(unknown)}")
    values = {**values, **{k: v for k, v in overrides.items() if v is not None}}
    return dataclasses.replace(cls(), **values)  # type: ignore[type-var]
