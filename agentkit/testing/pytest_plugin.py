"""pytest fixtures for agentkit and its plugins (a ``pytest11`` entry point).

Nothing here is autouse, and nothing heavy is imported until a fixture is used:
this module is loaded into every pytest session in an environment where agentkit
is installed, including sessions that never touch it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

FAKE_OPENAI_KEY = "sk-agentkit-fake-openai-key"

if TYPE_CHECKING:
    from agentkit.testing.fake_openai import FakeOpenAIServer
    from agentkit.testing.scripted import ScriptedModel


@pytest.fixture
def agentkit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``AGENTKIT_HOME`` (config file and run store) at a fresh temporary directory."""
    home = tmp_path / "agentkit-home"
    home.mkdir()
    monkeypatch.setenv("AGENTKIT_HOME", str(home))
    return home


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    """A :class:`ScriptedModel` called ``scripted``, registered so ``get_model`` finds it."""
    from agentkit.hookspecs import hookimpl
    from agentkit.plugins import pm
    from agentkit.testing.scripted import ScriptedModel

    model = ScriptedModel("scripted")

    class ScriptedModelPlugin:
        @hookimpl
        def register_models(self, register: Callable[..., None]) -> None:
            register(model)

    plugin = ScriptedModelPlugin()
    pm.register(plugin, name="agentkit-testing-scripted-model")
    try:
        yield model
    finally:
        # A test (or a conftest's plugin reset) may have unregistered it already.
        if pm.is_registered(plugin):
            pm.unregister(plugin)


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    """A running :class:`FakeOpenAIServer`, with ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` set."""
    from agentkit.testing.fake_openai import FakeOpenAIServer

    # The server insists on the key, so a client that ignores OPENAI_API_KEY fails.
    with FakeOpenAIServer(api_key=FAKE_OPENAI_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
        yield server
