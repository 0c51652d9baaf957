"""One test per hook: each shows a plugin using the hook, end to end."""

from __future__ import annotations

import click
from click.testing import CliRunner

import agentkit
from agentkit import ToolResult, Verdict, call_model, call_tool, hookimpl
from agentkit.cli import cli
from agentkit.models import ModelResponse, Usage
from agentkit.registry import get_models, get_tools, get_verifiers, get_workflows


class EchoModel:
    """A model that answers with the last user message, upper-cased."""

    name = "echo"

    def complete(self, messages, *, tools=None, stream=False, on_delta=None, **options):
        text = messages[-1]["content"].upper()
        if stream and on_delta:
            on_delta(text)
        return ModelResponse(content=text, usage=Usage(prompt_tokens=3, completion_tokens=1))


class AlwaysPasses:
    name = "always"

    def applies_to(self, candidate, problem):
        return True

    def verify(self, candidate, problem, ctx=None):
        return Verdict(status="passed", verifier=self.name)


@agentkit.tool
def double(n: int) -> int:
    """Double a number."""
    return 2 * n


def test_hook_register_tools(add_plugin):
    add_plugin("maths", register_tools=lambda register: register(double))
    tool = get_tools().get("double")
    assert tool.plugin == "maths"
    assert call_tool("double", {"n": 21}).output == 42


def test_hook_register_models(add_plugin):
    add_plugin("echoes", register_models=lambda register: register(EchoModel(), aliases=("e",)))
    models = get_models()
    assert models.get("echo") is models.get("e")
    assert models.get("echo").plugin == "echoes"
    assert agentkit.get_model("e").complete([{"role": "user", "content": "hi"}]).content == "HI"


def test_hook_register_verifiers(add_plugin):
    add_plugin("checks", register_verifiers=lambda register: register(AlwaysPasses()))
    verifier = get_verifiers().get("always")
    assert verifier.plugin == "checks"
    assert isinstance(verifier, agentkit.Verifier)
    assert verifier.verify("x", "y").passed


def test_hook_register_workflows(add_plugin):
    def summarise(ctx, text: str) -> str:
        return text[:3]

    add_plugin("flows", register_workflows=lambda register: register(summarise, name="sum"))
    assert get_workflows().get("sum") is summarise
    assert get_workflows().get("sum").plugin == "flows"


def test_hook_register_commands(add_plugin):
    @click.command(name="hello")
    def hello() -> None:
        """Say hello."""
        click.echo("hello from a plugin")

    @click.command(name="tools")
    def hijack() -> None:
        """Try to replace a built-in."""

    def register_commands(cli):
        cli.add_command(hello)
        cli.add_command(hijack)

    add_plugin("greeter", register_commands=register_commands)
    cli._plugin_commands_added = False
    try:
        result = CliRunner().invoke(cli, ["hello"])
        assert result.exit_code == 0, result.output
        assert result.stdout == "hello from a plugin\n"
        listing = CliRunner().invoke(cli, ["tools", "--json"])
        assert listing.exit_code == 0 and listing.stdout.startswith("[")
        assert "replace the built-in command 'tools'" in listing.stderr + result.stderr
    finally:
        cli.commands.pop("hello", None)
        cli._plugin_commands_added = False


def test_hook_call_tool(add_plugin):
    seen = []

    @hookimpl(wrapper=True)
    def call_tool_tracer(call):
        call.arguments["n"] += 1  # policy: a wrapper may change the arguments
        result = yield
        seen.append((call.tool.name, result.output))
        return result.model_copy(update={"output": result.output * 10})

    @hookimpl(tryfirst=True)
    def call_tool_cache(call):
        if call.arguments.get("n") == 100:
            return ToolResult(ok=True, output="cached")
        return None

    add_plugin("tracer", call_tool=call_tool_tracer)
    add_plugin("cache", call_tool=call_tool_cache)
    assert call_tool(double, {"n": 1}).output == 40
    assert seen == [("double", 4)]
    assert call_tool(double, {"n": 99}).output == "cached" * 10


def test_hook_call_tool_wrapper_can_refuse_a_call(add_plugin):
    @hookimpl(wrapper=True)
    def call_tool(call):
        raise PermissionError(f"{call.tool.name} needs approval")
        yield

    add_plugin("approval", call_tool=call_tool)
    result = call_tool_result = agentkit.call_tool(double, {"n": 1})
    assert call_tool_result.ok is False
    assert result.error == "PermissionError: double needs approval"


def test_hook_call_model(add_plugin, tmp_path):
    seen = []

    @hookimpl(wrapper=True)
    def call_model_wrapper(call):
        call.messages = [*call.messages, {"role": "user", "content": "and more"}]
        response = yield
        seen.append(response.content)
        return response

    add_plugin("model-tracer", call_model=call_model_wrapper)
    run = agentkit.Store(tmp_path / "runs.db").start_run("test", "hooks")
    response = call_model(EchoModel(), [{"role": "user", "content": "hi"}], run=run)
    assert response.content == "AND MORE"
    assert seen == ["AND MORE"]
    [event] = run.store.events(run.id)
    assert (event["type"], event["name"], event["prompt_tokens"]) == ("model_call", "echo", 3)
