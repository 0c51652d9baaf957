"""Models against stand-ins: the real ``openai`` client talks to a fake server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import agentkit
from agentkit.errors import ModelError
from agentkit.models import OpenAIModel, tool_message
from agentkit.testing import FakeOpenAIServer, Fault, Reply, ScriptedModel, ToolCallSpec
from agentkit.testing.tokens import count_completion_tokens, count_message_tokens, count_tokens

pytestmark = pytest.mark.timeout(60)
pytest_plugins = ["pytester"]

KEY = "sk-agentkit-test-0123456789abcdef"
QUESTION = [{"role": "user", "content": "What is 2 + 2?"}]
ADD_TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add two integers.",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
    },
}


@pytest.fixture(autouse=True)
def isolated(agentkit_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTKIT_LOAD_PLUGINS", "")
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(models=["fake-model"], api_key=KEY) as running:
        yield running


def connect(server: FakeOpenAIServer, name: str = "fake-model", **kwargs: Any) -> OpenAIModel:
    kwargs = {"api_key": KEY, "max_retries": 0, "timeout": 5.0, **kwargs}
    return OpenAIModel(name, base_url=server.base_url, **kwargs)


# -- replies through the real openai client ------------------------------------------


def test_plain_completion_returns_text_and_tiktoken_usage(server):
    server.enqueue("2 + 2 is 4.")
    response = connect(server).complete(QUESTION)
    assert response.content == "2 + 2 is 4."
    assert response.finish_reason == "stop"
    assert response.usage.prompt_tokens == count_message_tokens(QUESTION) > 0
    assert response.usage.completion_tokens == count_tokens("2 + 2 is 4.") > 0
    assert server.requests[0]["messages"] == QUESTION
    server.assert_complete()


def test_streamed_completion_sends_several_deltas_and_usage(server):
    server.enqueue("Two plus two makes four.")
    pieces: list[str] = []
    response = connect(server).complete(QUESTION, stream=True, on_delta=pieces.append)
    assert len(pieces) > 1
    assert "".join(pieces) == response.content == "Two plus two makes four."
    assert response.usage.prompt_tokens == count_message_tokens(QUESTION)
    assert response.usage.completion_tokens == count_tokens(response.content)
    assert server.requests[0]["stream"] is True


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_tool_calls_are_parsed_with_dict_arguments(server, stream):
    server.enqueue(
        Reply(
            tool_calls=[
                ToolCallSpec("add", {"a": 2, "b": 2}, id="call_add"),
                ToolCallSpec("add", {"a": 40, "b": 2}),
            ]
        )
    )
    response = connect(server).complete(QUESTION, tools=[ADD_TOOL], stream=stream)
    first, second = response.tool_calls
    assert (first.id, first.name, first.arguments, first.error) == (
        "call_add",
        "add",
        {"a": 2, "b": 2},
        None,
    )
    assert second.arguments == {"a": 40, "b": 2} and second.id and second.id != first.id
    assert response.finish_reason == "tool_calls"
    assert response.usage.prompt_tokens == count_message_tokens(QUESTION, [ADD_TOOL])
    assert server.requests[0]["tools"] == [ADD_TOOL]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_malformed_tool_call_json_becomes_feedback_not_an_exception(server, stream):
    server.enqueue(Reply(tool_calls=[ToolCallSpec("add", '{"a": 1', id="call_bad")]), "Fixed.")
    model = connect(server)
    response = model.complete(QUESTION, tools=[ADD_TOOL], stream=stream)
    (call,) = response.tool_calls
    assert call.arguments is None and call.raw_arguments == '{"a": 1'
    assert "not valid JSON" in call.error
    feedback = tool_message(call.id, call.error)
    assert feedback == {"role": "tool", "tool_call_id": "call_bad", "content": call.error}
    # The feedback round-trips: the endpoint receives it as the next turn.
    conversation = [*QUESTION, response.message(), feedback]
    assert model.complete(conversation, tools=[ADD_TOOL]).content == "Fixed."
    assert server.requests[1]["messages"][-1] == feedback


# -- faults: retries, bad keys, unknown models, dead and hung endpoints ----------------


def test_retry_after_is_honoured_on_429(server):
    server.enqueue(Fault.status(429, retry_after=1), "after the wait")
    model = connect(server, max_retries=2)
    assert model.client  # import openai and build the client before the clock starts
    started = time.monotonic()
    response = model.complete(QUESTION)
    # Without Retry-After the client would back off about half a second.
    assert 0.95 <= time.monotonic() - started < 5
    assert response.content == "after the wait"
    assert len(server.requests) == 2


def test_500_is_retried_within_the_budget(server):
    server.enqueue(Fault.status(500), Fault.status(500), "third time lucky")
    assert connect(server, max_retries=2).complete(QUESTION).content == "third time lucky"
    assert len(server.requests) == 3


def test_500_beyond_the_retry_budget_is_a_one_line_model_error(server):
    fire = Fault.status(500, message="the GPU caught fire")
    server.enqueue(fire, fire, "unused")
    with pytest.raises(ModelError) as caught:
        connect(server, max_retries=1).complete(QUESTION)
    message = str(caught.value)
    assert "500" in message and "after 1 retry" in message and "the GPU caught fire" in message
    assert "\n" not in message
    assert len(server.requests) == 2 and server.remaining == ["unused"]


def test_rejected_api_key_names_the_variable_but_never_the_key(server):
    wrong = "sk-wrong-key-9876543210fedcba"
    with pytest.raises(ModelError, match="401") as caught:
        connect(server, api_key=wrong, max_retries=3).complete(QUESTION)
    assert "OPENAI_API_KEY" in str(caught.value)
    assert wrong not in str(caught.value) and KEY not in str(caught.value)
    assert len(server.requests) == 1  # a 401 is not retried
    assert server.request_headers[0]["authorization"] == "[REDACTED]"


def test_unknown_model_error_names_the_model(server):
    with pytest.raises(ModelError, match="404") as caught:
        connect(server, name="no-such-model").complete(QUESTION)
    assert "'no-such-model'" in str(caught.value)


def test_unreachable_endpoint_says_cannot_reach():
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    model = OpenAIModel(
        "fake-model", base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0, timeout=2
    )
    with pytest.raises(ModelError, match="cannot reach") as caught:
        model.complete(QUESTION)
    assert "\n" not in str(caught.value)


def test_hung_endpoint_times_out_and_the_server_still_stops_promptly():
    with FakeOpenAIServer() as hung:
        hung.enqueue(Fault.hang(20))
        started = time.monotonic()
        with pytest.raises(ModelError, match=r"did not answer within 1s"):
            connect(hung, timeout=1.0).complete(QUESTION)
        assert time.monotonic() - started < 4
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2  # the hung handler was woken, not waited out
    assert not [t for t in threading.enumerate() if t.name.startswith("fake-openai")]


def test_malformed_response_body_is_a_model_error(server):
    server.enqueue(Fault.malformed_body())
    with pytest.raises(ModelError, match="not JSON"):
        connect(server).complete(QUESTION)


def test_an_empty_server_queue_fails_loudly_without_retrying(server):
    with pytest.raises(ModelError, match="no scripted reply left"):
        connect(server, max_retries=3).complete(QUESTION)
    assert len(server.requests) == 1


def test_list_remote_reads_the_served_models():
    with FakeOpenAIServer(models=["b-model", "a-model"], api_key=KEY) as server:
        assert connect(server).list_remote() == ["a-model", "b-model"]


def test_server_assert_complete_lists_unserved_items(server):
    server.enqueue("served", Fault.status(503))
    connect(server).complete(QUESTION)
    with pytest.raises(AssertionError, match="1 scripted item"):
        server.assert_complete()


# -- call_model: hooks and the run store --------------------------------------------


def test_call_model_records_tokens_and_keeps_the_key_out_of_the_store(server, tmp_path):
    store = agentkit.Store(tmp_path / "db")
    run = store.start_run("test", "x")
    server.enqueue("recorded")
    pieces: list[str] = []
    response = agentkit.call_model(
        connect(server), QUESTION, run=run, stream=True, on_delta=pieces.append
    )
    with pytest.raises(ModelError):
        agentkit.call_model(connect(server, api_key="sk-also-secret-0123456789"), QUESTION, run=run)

    ok, failed = store.events(run.id)
    assert (ok["type"], ok["name"], ok["ok"]) == ("model_call", "fake-model", 1)
    assert ok["prompt_tokens"] == response.usage.prompt_tokens == count_message_tokens(QUESTION)
    assert ok["completion_tokens"] == count_tokens("recorded") and "".join(pieces) == "recorded"
    assert failed["ok"] == 0 and "401" in failed["payload"]["error"]
    store.close()
    stored = b"".join(path.read_bytes() for path in tmp_path.glob("db*"))
    assert b"recorded" in stored  # the check below reads the right bytes
    assert KEY.encode() not in stored and b"sk-also-secret" not in stored


def test_fake_openai_fixture_configures_the_environment(fake_openai):
    fake_openai.enqueue("from the environment")
    model = agentkit.get_model("fake-model")  # no plugin has it: taken as an endpoint model id
    assert model.complete(QUESTION).content == "from the environment"
    assert len(fake_openai.requests) == 1


def test_agentkit_home_fixture_points_the_store_at_a_temp_dir(agentkit_home, tmp_path):
    assert agentkit_home.is_relative_to(tmp_path)
    assert agentkit.Store().path == agentkit_home / "agentkit.db"


def test_scripted_model_fixture_is_found_by_name(scripted_model):
    scripted_model.enqueue("scripted hello")
    model = agentkit.get_model("scripted")
    assert model is scripted_model
    assert agentkit.call_model(model, QUESTION).content == "scripted hello"


def test_scripted_model_fixture_unregisters_after_the_test(pytester):
    pytester.makepyfile(
        """
        import agentkit

        def test_uses_it(scripted_model):
            assert "scripted" in agentkit.get_models()

        def test_after(monkeypatch):
            assert "scripted" not in agentkit.get_models()
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


# -- ScriptedModel -------------------------------------------------------------------


def test_scripted_model_replies_in_order_and_records_each_call():
    model = ScriptedModel(
        "s", replies=("first", Reply(tool_calls=[ToolCallSpec("add", {"a": 1, "b": 2})]))
    )
    conversation = list(QUESTION)
    assert model.complete(conversation, temperature=0).content == "first"
    conversation.append({"role": "user", "content": "again"})
    (call,) = model.complete(conversation, tools=[ADD_TOOL]).tool_calls
    assert (call.name, call.arguments) == ("add", {"a": 1, "b": 2})
    assert model.calls[0]["messages"] == QUESTION  # a copy, not the list the caller kept growing
    assert model.calls[0]["options"] == {"stream": False, "temperature": 0}
    assert model.calls[1]["tools"] == [ADD_TOOL]


def test_scripted_model_raises_enqueued_exceptions():
    boom = ModelError("the endpoint is on fire")
    model = ScriptedModel().enqueue(boom, "after")
    with pytest.raises(ModelError) as caught:
        model.complete(QUESTION)
    assert caught.value is boom
    assert model.complete(QUESTION).content == "after"


def test_scripted_model_with_an_empty_queue_names_the_call():
    model = ScriptedModel("x").enqueue("only one")
    model.complete(QUESTION)
    with pytest.raises(
        AssertionError, match=r"ScriptedModel 'x': no scripted reply left for call #2"
    ):
        model.complete(QUESTION)


def test_scripted_model_assert_complete_lists_unused_replies():
    model = ScriptedModel().enqueue("used", "left over")
    model.complete(QUESTION)
    with pytest.raises(AssertionError, match="left over"):
        model.assert_complete()
    model.complete(QUESTION)
    model.assert_complete()


def test_scripted_model_streams_in_several_pieces_with_usage():
    model = ScriptedModel().enqueue("streamed word by word")
    pieces: list[str] = []
    response = model.complete(QUESTION, stream=True, on_delta=pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == response.content
    assert response.usage.prompt_tokens == count_message_tokens(QUESTION)
    assert response.usage.completion_tokens == count_tokens("streamed word by word")


def test_scripted_model_turns_malformed_tool_json_into_an_error():
    model = ScriptedModel().enqueue(Reply(tool_calls=[ToolCallSpec("add", "[1, 2]")]))
    (call,) = model.complete(QUESTION).tool_calls
    assert call.arguments is None and "must be a JSON object" in call.error


def test_scripted_model_refuses_faults_meant_for_the_server():
    with pytest.raises(TypeError, match="FakeOpenAIServer"):
        ScriptedModel().enqueue(Fault.status(500))


def test_scripted_model_hands_each_reply_to_exactly_one_thread():
    replies = [f"reply {i}" for i in range(40)]
    model = ScriptedModel().enqueue(*replies)
    got: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            text = model.complete(QUESTION).content
            with lock:
                got.append(text)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(got) == sorted(replies) and len(model.calls) == 40


def test_both_stand_ins_agree_on_content_tool_calls_and_usage(server):
    reply = Reply("Let me add.", [ToolCallSpec("add", {"a": 1, "b": 2}, id="call_same")])
    server.enqueue(reply)
    over_http = connect(server).complete(QUESTION, tools=[ADD_TOOL])
    in_process = ScriptedModel().enqueue(reply).complete(QUESTION, tools=[ADD_TOOL])
    for response in (over_http, in_process):
        assert response.content == "Let me add."
        assert [(c.id, c.arguments) for c in response.tool_calls] == [
            ("call_same", {"a": 1, "b": 2})
        ]
    assert over_http.usage == in_process.usage
    assert in_process.usage.completion_tokens == count_completion_tokens(
        "Let me add.", [("add", '{"a": 1, "b": 2}')]
    )


# -- token counting -----------------------------------------------------------------


def test_count_tokens_uses_real_tiktoken_offline():
    from agentkit.testing.tokens import encoding

    assert encoding().name == "o200k_base"
    assert count_tokens("hello world") == 2
    assert encoding().decode(encoding().encode("tokens round-trip")) == "tokens round-trip"


def test_tiktoken_cache_is_seeded_where_tiktoken_looks(tmp_path, monkeypatch):
    import hashlib

    import tiktoken

    from agentkit.testing.tokens import BPE_URL, seed_tiktoken_cache

    cache_dir = tmp_path / "tiktoken-cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(cache_dir))
    seed_tiktoken_cache("cl100k_base")
    url = BPE_URL.format(name="cl100k_base")
    # Exactly one file, under tiktoken's key: no temporary file left behind.
    assert [p.name for p in cache_dir.iterdir()] == [hashlib.sha1(url.encode()).hexdigest()]
    # tiktoken checks the sha256 of the seeded file itself; a download would fail here.
    assert tiktoken.get_encoding("cl100k_base").encode("hello world") == [15339, 1917]


def test_message_counts_include_names_tool_calls_and_tool_schemas():
    plain = [{"role": "user", "content": "hi"}]
    named = [{"role": "user", "content": "hi", "name": "ada"}]
    assert count_message_tokens(plain) == 3 + count_tokens("user") + count_tokens("hi") + 3
    assert count_message_tokens(named) == count_message_tokens(plain) + count_tokens("ada") + 1
    assert count_message_tokens(plain, [ADD_TOOL]) > count_message_tokens(plain)
    with_call = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1}'},
                }
            ],
        }
    ]
    assert (
        count_message_tokens(with_call)
        == 3 + count_tokens("assistant") + count_tokens("add") + count_tokens('{"a": 1}') + 3
    )


def test_stream_usage_chunk_is_sent_only_when_asked_for(server):
    import http.client

    server.enqueue("no usage please")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    body = {"model": "fake-model", "messages": QUESTION, "stream": True}
    connection.request(
        "POST", "/v1/chat/completions", json.dumps(body), {"Authorization": f"Bearer {KEY}"}
    )
    response = connection.getresponse()
    events = [line for line in response.read().decode().splitlines() if line.startswith("data: ")]
    connection.close()
    assert response.status == 200 and response.getheader("Content-Type") == "text/event-stream"
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(event[6:]) for event in events[:-1]]
    assert all(chunk["usage"] is None and chunk["choices"] for chunk in chunks)
    assert (
        "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == "no usage please"
    )


def test_server_rejects_requests_it_cannot_read(server):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    connection.request(
        "POST", "/v1/chat/completions", b"{not json", {"Authorization": f"Bearer {KEY}"}
    )
    response = connection.getresponse()
    error = json.loads(response.read())["error"]
    connection.close()
    assert response.status == 400 and "not JSON" in error["message"]
    assert server.requests == []


def test_server_latency_delays_each_reply_and_concurrent_ones_overlap():
    # Seconds, not fractions: the margins must survive a loaded machine's stalls.
    with FakeOpenAIServer(api_key=KEY, latency=2.0) as slow:
        slow.enqueue("one", "two", "three")
        started = time.monotonic()
        assert connect(slow).complete(QUESTION).content == "one"
        assert 2.0 <= time.monotonic() - started < 6

        answers: list[str | None] = []

        def ask() -> None:
            answers.append(connect(slow).complete(QUESTION).content)

        started = time.monotonic()
        threads = [threading.Thread(target=ask) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sorted(answers) == ["three", "two"]
        assert 2.0 <= time.monotonic() - started < 3.6  # side by side, not 4 s one after another
        slow.latency = 0.0
        slow.enqueue("four")
        started = time.monotonic()
        assert connect(slow).complete(QUESTION).content == "four"
        assert time.monotonic() - started < 1.5  # no longer the 2 s latency


def test_stand_ins_reject_a_conversation_openai_would_reject(fake_openai):
    orphan = [
        {"role": "user", "content": "hi"},
        {"role": "tool", "tool_call_id": "c1", "content": "x"},
    ]
    unanswered = [
        {"role": "user", "content": "hi"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "user", "content": "go on"},
    ]
    model = OpenAIModel("fake-model", max_retries=0)
    for messages, problem in (
        (orphan, "answers no open tool call"),
        (unanswered, "never answered"),
    ):
        with pytest.raises(ModelError, match=f"answered 400.*{problem}"):
            model.complete(messages)
        with pytest.raises(ValueError, match=problem):
            ScriptedModel().enqueue("unused").complete(messages)
