from __future__ import annotations

import pytest

from agentkit import Store, call_model
from agentkit.models import ModelResponse, Usage


class CountingModel:
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, messages, *, tools=None, stream=False, on_delta=None, **options):
        self.calls += 1
        text = f"answer {self.calls} to {messages[-1]['content']}"
        if stream and on_delta:
            on_delta(text)
        return ModelResponse(content=text, usage=Usage(prompt_tokens=5, completion_tokens=3))


def ask(model, text, **kwargs):
    return call_model(model, [{"role": "user", "content": text}], **kwargs)


@pytest.fixture
def cache_on(monkeypatch):
    monkeypatch.setenv("AGENTKIT_MODEL_CACHE", "1")


def test_same_request_is_answered_from_the_cache(cache_on):
    model = CountingModel()
    first = ask(model, "q")
    assert ask(model, "q") == first
    assert model.calls == 1


def test_a_different_request_or_option_reaches_the_model(cache_on):
    model = CountingModel()
    ask(model, "q")
    ask(model, "other")
    ask(model, "q", temperature=0.5)
    assert model.calls == 3


def test_cache_is_off_unless_asked_for():
    model = CountingModel()
    ask(model, "q")
    ask(model, "q")
    assert model.calls == 2


def test_config_file_can_switch_the_cache_on(isolated_agentkit):
    (isolated_agentkit / "config.toml").write_text("model_cache = true\n")
    model = CountingModel()
    ask(model, "q")
    ask(model, "q")
    assert model.calls == 1


def test_cached_answer_is_streamed_to_the_caller(cache_on):
    model = CountingModel()
    ask(model, "q")
    pieces = []
    response = ask(model, "q", stream=True, on_delta=pieces.append)
    assert pieces == [response.content] and model.calls == 1


def test_cache_survives_a_new_store_handle(cache_on):
    ask(CountingModel(), "q")
    fresh = CountingModel()
    run = Store().start_run("test", "cache")
    assert ask(fresh, "q", run=run).content == "answer 1 to q"
    assert fresh.calls == 0
    assert Store().events(run.id)[0]["prompt_tokens"] == 5
