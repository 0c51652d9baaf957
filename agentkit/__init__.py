"""agentkit: a plugin-based framework for tool-augmented reasoning."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from agentkit.calls import (
    acall_model,
    acall_tool,
    aend_session,
    call_model,
    call_tool,
    end_session,
)
from agentkit.context import Context
from agentkit.errors import AgentkitError
from agentkit.hookspecs import hookimpl
from agentkit.models import Model, ModelResponse, OpenAIModel, Usage, get_model
from agentkit.plugins import load_plugins, pm
from agentkit.registry import get_models, get_tool, get_tools, get_verifiers, get_workflows
from agentkit.store import Run, Store
from agentkit.tools import Artifact, Tool, Toolbox, ToolCall, ToolResult, tool
from agentkit.verify import Verdict, Verifier
from agentkit.workflows import Workflow, workflow

try:
    __version__ = version("agentkit")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "AgentkitError",
    "Artifact",
    "Context",
    "Model",
    "ModelResponse",
    "OpenAIModel",
    "Run",
    "Store",
    "Tool",
    "ToolCall",
    "ToolResult",
    "Toolbox",
    "Usage",
    "Verdict",
    "Verifier",
    "Workflow",
    "__version__",
    "acall_model",
    "acall_tool",
    "aend_session",
    "call_model",
    "call_tool",
    "end_session",
    "get_model",
    "get_models",
    "get_tool",
    "get_tools",
    "get_verifiers",
    "get_workflows",
    "hookimpl",
    "load_plugins",
    "pm",
    "tool",
    "workflow",
]
