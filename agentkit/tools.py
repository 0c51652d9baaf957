"""Tools: a name, a description, a JSON Schema for the arguments, and a callable.

``@agentkit.tool`` builds a :class:`Tool` from a plain function: the schema comes from
the type hints (through pydantic) and the descriptions from the docstring (any of the
reST, Google or NumPy styles). A :class:`Toolbox` does the same for every public
method of a stateful object.
"""

from __future__ import annotations

import inspect
import re
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, overload

import docstring_parser
import pydantic
from pydantic.json_schema import GenerateJsonSchema

from agentkit.errors import ToolArgumentError

if TYPE_CHECKING:
    from agentkit.store import Run

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Artifact(pydantic.BaseModel):
    """A file a tool produced (an image, a log); the path is on the host."""

    path: str
    mime_type: str = "application/octet-stream"
    description: str = ""


class ToolResult(pydantic.BaseModel):
    """The outcome of one tool call. ``output`` is always JSON-serialisable."""

    ok: bool
    output: Any = None
    error: str | None = None
    elapsed: float = 0.0
    artifacts: list[Artifact] = pydantic.Field(default_factory=list)

    @classmethod
    def failure(cls, error: str, output: Any = None) -> ToolResult:
        return cls(ok=False, error=error, output=output)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(eq=False)
class Tool:
    """A callable that a plan step or a model can invoke by name."""

    name: str
    description: str
    parameters: dict[str, Any]
    fn: Callable[..., Any]
    plugin: str | None = None
    timeout: float | None = None
    arguments_model: type[pydantic.BaseModel] | None = field(default=None, repr=False)
    # The tool changes something outside its own result (runs code, writes files,
    # sends messages): interactive front ends such as ``agentkit chat`` ask first.
    side_effects: bool = False
    # For a tool that keeps state under a ``session`` argument (a kernel per session):
    # ``end_session(name)`` (sync or async) frees what it keeps under that name and
    # says whether there was anything. Called through :func:`agentkit.end_session`.
    end_session: Callable[[str], Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not _TOOL_NAME.match(self.name):
            raise ValueError(
                f"tool name {self.name!r} must be 1-64 letters, digits, '_' or '-' "
                "(the OpenAI function-name rule)"
            )

    @classmethod
    def function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = None,
        side_effects: bool = False,
        end_session: Callable[[str], Any] | None = None,
    ) -> Tool:
        """Build a tool from a function's signature, type hints and docstring."""
        doc = docstring_parser.parse(inspect.getdoc(fn) or "")
        model = _arguments_model(fn, {p.arg_name: p.description or "" for p in doc.params})
        summary = "\n\n".join(p for p in (doc.short_description, doc.long_description) if p)
        return cls(
            name=name or fn.__name__,
            description=description or summary,
            parameters=_schema_of(model),
            fn=fn,
            timeout=timeout,
            arguments_model=model,
            side_effects=side_effects,
            end_session=end_session,
        )

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.fn)

    def with_plugin(self, plugin: str) -> Tool:
        return replace(self, plugin=plugin)

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check arguments against the schema; return them ready to pass to ``fn``."""
        if not isinstance(arguments, Mapping):
            raise ToolArgumentError(
                f"tool '{self.name}' takes a JSON object of arguments, "
                f"not {type(arguments).__name__}"
            )
        if self.arguments_model is not None:
            try:
                parsed = self.arguments_model.model_validate(dict(arguments))
            except pydantic.ValidationError as exc:
                raise ToolArgumentError(_describe_errors(self.name, exc)) from None
            return {key: getattr(parsed, key) for key in type(parsed).model_fields}
        import jsonschema  # slow to import; only hand-written schemas need it

        try:
            jsonschema.validate(dict(arguments), self.parameters)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(arguments)"
            raise ToolArgumentError(
                f"tool '{self.name}': argument '{where}': {exc.message}"
            ) from None
        return dict(arguments)

    def openai_schema(self) -> dict[str, Any]:
        """The tool as an entry of the OpenAI ``tools`` list."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "plugin": self.plugin,
            "description": self.description,
            "parameters": self.parameters,
            "timeout": self.timeout,
            "side_effects": self.side_effects,
        }


@dataclass(eq=False)
class ToolCall:
    """One request to run a tool, as the ``call_tool`` hook sees it."""

    tool: Tool
    arguments: dict[str, Any]
    timeout: float | None = None
    run: Run | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    cancelled: bool = False
    _on_cancel: list[Callable[[], Any]] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def on_cancel(self, callback: Callable[[], Any]) -> None:
        """Ask to be told when the caller gives up on this call (Ctrl-C, a cancelled task).

        The caller may give up before the executor gets here; then ``callback`` runs at once.
        """
        with self._lock:
            if not self.cancelled:
                self._on_cancel.append(callback)
                return
        callback()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            callbacks, self._on_cancel = self._on_cancel, []
        for callback in callbacks:
            callback()


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...
@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    side_effects: bool = False,
    end_session: Callable[[str], Any] | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...
def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = None,
    side_effects: bool = False,
    end_session: Callable[[str], Any] | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Decorator: turn a function into a :class:`Tool` (``@tool`` or ``@tool(timeout=5)``).

    ``side_effects=True`` marks a tool that changes the world (runs code, writes files):
    ``agentkit chat`` asks the user before each call to it. ``end_session`` frees what
    a stateful tool keeps under a session name (see :attr:`Tool.end_session`).
    """

    def build(f: Callable[..., Any]) -> Tool:
        return Tool.function(
            f,
            name=name,
            description=description,
            timeout=timeout,
            side_effects=side_effects,
            end_session=end_session,
        )

    return build(fn) if fn is not None else build


class Toolbox:
    """A stateful group of tools: every public method becomes a tool ``<prefix>_<method>``.

    The prefix is the class attribute ``name``, or the class name in snake_case.
    """

    name: str | None = None
    timeout: float | None = None
    side_effects: bool = False

    def tools(self) -> list[Tool]:
        prefix = self.name or _snake_case(type(self).__name__)
        own = set(dir(Toolbox))
        return [
            Tool.function(
                getattr(self, attr),
                name=f"{prefix}_{attr}",
                timeout=self.timeout,
                side_effects=self.side_effects,
            )
            for attr in sorted(dir(type(self)))
            if not attr.startswith("_") and attr not in own and callable(getattr(self, attr))
        ]


def _snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _arguments_model(fn: Callable[..., Any], docs: dict[str, str]) -> type[pydantic.BaseModel]:
    fields: dict[str, Any] = {}
    hints = _type_hints(fn)
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"{fn.__name__}: tools cannot take *args or **kwargs")
        default = ... if param.default is param.empty else param.default
        annotation = hints.get(param.name, Any)
        fields[param.name] = (annotation, pydantic.Field(default, description=docs.get(param.name)))
    config = pydantic.ConfigDict(extra="forbid", arbitrary_types_allowed=False)
    return pydantic.create_model(f"{fn.__name__}_arguments", __config__=config, **fields)


def _type_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    import typing

    try:
        return typing.get_type_hints(fn, include_extras=True)  # keep Annotated bounds
    except Exception as exc:  # an unresolvable forward reference is the author's bug
        raise TypeError(f"{fn.__name__}: cannot resolve type hints: {exc}") from exc


class _UntitledSchema(GenerateJsonSchema):
    """Leave out the per-field titles pydantic adds: they only cost prompt tokens."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _schema_of(model: type[pydantic.BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(schema_generator=_UntitledSchema)
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        if prop.get("description") is None:
            prop.pop("description", None)
    return schema


def _describe_errors(tool_name: str, exc: pydantic.ValidationError) -> str:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(part) for part in err["loc"]) or "(arguments)"
        if err["type"] == "extra_forbidden":
            problems.append(f"unexpected argument '{where}'")
        elif err["type"] == "missing":
            problems.append(f"argument '{where}' is required")
        else:
            problems.append(f"argument '{where}': {err['msg']} (got {err['input']!r:.60})")
    return f"tool '{tool_name}': " + "; ".join(problems)
