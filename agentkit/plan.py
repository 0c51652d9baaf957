"""Plans: a DAG of tool calls that a model writes, as JSON.

::

    {"steps": [{"id": "s1", "tool": "python", "args": {"code": "print(2**10)"}},
               {"id": "s2", "tool": "python", "args": {"code": "${s1.stdout} * 2"}}]}

Any string in ``args`` may refer to an earlier step's output as ``${s1}`` or to a part of
it as ``${s1.field}`` (dots go deeper; a number indexes a list). The references are the
dependencies: a step runs when every step it refers to has finished. A string that is
exactly one reference takes the referred value as it is (a number stays a number);
a reference inside a longer string is replaced by the value's text.

:meth:`Plan.parse` and :meth:`Plan.validate` reject, with one message listing every
problem: malformed JSON, duplicate ids, unknown tools, references to steps that do not
exist, cycles, and arguments that do not match the tool's schema. The message is
written for the model, which gets it back to fix the plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import networkx as nx
import pydantic

from agentkit.errors import AgentkitError, did_you_mean
from agentkit.files import save_figure
from agentkit.tools import Tool

REFERENCE = re.compile(r"\$\{([A-Za-z_][\w-]*)((?:\.[\w-]+)*)\}")
WHOLE_REFERENCE = re.compile(rf"^{REFERENCE.pattern}$")


class PlanError(AgentkitError):
    """The plan is not valid; the message says every problem, for the model to fix."""


class PlanReferenceError(AgentkitError):
    """A reference points into a step's output at something that is not there."""


class Step(pydantic.BaseModel):
    """One tool call of a plan."""

    model_config = pydantic.ConfigDict(extra="forbid")

    id: str = pydantic.Field(pattern=r"^[A-Za-z_][\w-]*$", max_length=64)
    tool: str
    args: dict[str, Any] = pydantic.Field(default_factory=dict)


class _PlanDocument(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    steps: list[Step] = pydantic.Field(min_length=1)


class Plan:
    """Validated steps and their dependency graph (a ``networkx.DiGraph``, edges dep -> step)."""

    def __init__(self, steps: list[Step], tools: Mapping[str, Tool] | None = None) -> None:
        """Build the graph; with ``tools``, also check tools and arguments (all in one go)."""
        self.steps: dict[str, Step] = {}
        problems = []
        for index, step in enumerate(steps, 1):
            if step.id in self.steps:
                problems.append(f"duplicate step id '{step.id}' (step {index})")
            self.steps.setdefault(step.id, step)
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(self.steps)
        for step in self.steps.values():
            for ref in sorted(references(step.args)):
                if ref not in self.steps:
                    problems.append(_dangling(step.id, ref, self.steps))
                else:
                    self.graph.add_edge(ref, step.id)
        problems += _cycles(self.graph)
        if tools is not None:
            problems += _tool_problems(self.steps.values(), tools)
        if problems:
            raise PlanError(_listing(problems))

    @classmethod
    def parse(
        cls, data: str | Mapping[str, Any] | list[Any], tools: Mapping[str, Tool] | None = None
    ) -> Plan:
        """A plan from JSON text, ``{"steps": [...]}``, or the list of steps itself.

        With ``tools``, unknown tools and arguments that miss their schema are reported
        together with the structural problems.
        """
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                raise PlanError(f"the plan is not valid JSON: {exc}") from None
        if isinstance(data, list):
            data = {"steps": data}
        try:
            document = _PlanDocument.model_validate(data)
        except pydantic.ValidationError as exc:
            raise PlanError(_listing([_describe(error) for error in exc.errors()])) from None
        return cls(document.steps, tools)

    def validate(self, tools: Mapping[str, Tool]) -> Plan:
        """Check tools exist and arguments fit their schemas; returns the plan itself."""
        problems = _tool_problems(self.steps.values(), tools)
        if problems:
            raise PlanError(_listing(problems))
        return self

    # -- structure ---------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.steps)

    def order(self) -> list[str]:
        """Step ids in an order that respects every dependency (ties: as written)."""
        position = {step_id: index for index, step_id in enumerate(self.steps)}
        return list(nx.lexicographical_topological_sort(self.graph, key=position.__getitem__))

    def needs(self, step_id: str) -> set[str]:
        """The steps ``step_id`` refers to directly."""
        return set(self.graph.predecessors(step_id))

    def downstream(self, step_id: str) -> set[str]:
        """Every step that depends on ``step_id``, directly or not."""
        return set(nx.descendants(self.graph, step_id))

    def critical_path(self) -> list[str]:
        """The longest chain of dependent steps."""
        return list(nx.dag_longest_path(self.graph))

    # -- arguments ---------------------------------------------------------------------

    def resolve_args(self, step_id: str, outputs: Mapping[str, Any]) -> dict[str, Any]:
        """The step's arguments with every reference replaced by the referred output."""
        return _substitute(self.steps[step_id].args, outputs)

    # -- rendering ---------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {"steps": [step.model_dump() for step in self.steps.values()]}

    def mermaid(self, statuses: Mapping[str, str] | None = None) -> str:
        """A Mermaid flowchart; with ``statuses``, each step is coloured by its state."""
        lines = ["flowchart TD"]
        for step in self.steps.values():
            label = f"{step.id}: {step.tool}".replace('"', "'")
            state = (statuses or {}).get(step.id)
            lines.append(f'    {step.id}["{label}"]' + (f":::{state}" if state else ""))
        lines += [f"    {source} --> {target}" for source, target in self.graph.edges]
        if statuses:
            lines += [f"    classDef {name} {style}" for name, style in STATUS_STYLES.items()]
        return "\n".join(lines) + "\n"

    def png(self, path: str, statuses: Mapping[str, str] | None = None) -> None:
        """Draw the plan as a PNG: steps left to right by dependency depth, coloured by state."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise AgentkitError(
                "drawing a PNG needs matplotlib: agentkit install 'agentkit[png]'"
            ) from None
        graph = self.graph.copy()
        for depth, layer in enumerate(nx.topological_generations(graph)):
            for node in layer:
                graph.nodes[node]["depth"] = depth
        positions = nx.multipartite_layout(graph, subset_key="depth")
        colours = [_fill((statuses or {}).get(n, "waiting")) for n in graph.nodes]
        labels = {n: f"{n}\n{self.steps[n].tool}" for n in graph.nodes}
        width = 2.5 + 2.2 * (1 + max(nx.get_node_attributes(graph, "depth").values(), default=0))
        figure, axes = plt.subplots(figsize=(width, 2.5 + 0.6 * len(graph)))
        nx.draw_networkx(
            graph,
            positions,
            ax=axes,
            labels=labels,
            node_color=colours,
            node_size=2600,
            font_size=8,
            edgecolors="#555555",
            arrowsize=14,
        )
        axes.margins(0.2)
        axes.set_axis_off()
        figure.tight_layout()
        save_figure(figure, path, dpi=110)
        plt.close(figure)


STATUS_STYLES = {
    "waiting": "fill:#eeeeee,stroke:#999999",
    "running": "fill:#fff3b0,stroke:#c9a400",
    "done": "fill:#c8f7c5,stroke:#2e8b57",
    "failed": "fill:#ffc9c9,stroke:#c0392b",
    "skipped": "fill:#e0e0ff,stroke:#6c6cc0",
}


def _fill(status: str) -> str:
    return STATUS_STYLES.get(status, STATUS_STYLES["waiting"]).split(",")[0].removeprefix("fill:")


def references(value: Any) -> set[str]:
    """The step ids a value (args, nested) refers to."""
    return {match.group(1) for text in _strings(value) for match in REFERENCE.finditer(text)}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _substitute(value: Any, outputs: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        whole = WHOLE_REFERENCE.match(value)
        if whole:
            return _lookup(whole.group(1), whole.group(2), outputs)
        return REFERENCE.sub(lambda m: _as_text(_lookup(m.group(1), m.group(2), outputs)), value)
    if isinstance(value, Mapping):
        return {key: _substitute(item, outputs) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_substitute(item, outputs) for item in value]
    return value


def _lookup(step_id: str, path: str, outputs: Mapping[str, Any]) -> Any:
    value = outputs[step_id]
    walked = step_id
    for part in path.split(".")[1:]:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            raise PlanReferenceError(
                f"${{{step_id}{path}}}: the output of '{walked}' has no '{part}' ({_shape(value)})"
            )
        walked += f".{part}"
    return value


def _shape(value: Any) -> str:
    if isinstance(value, Mapping):
        return "its fields are: " + (", ".join(map(str, value)) or "none")
    if isinstance(value, list):
        return f"it is a list of {len(value)}"
    return f"it is a {type(value).__name__}"


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _dangling(step_id: str, ref: str, steps: Mapping[str, Step]) -> str:
    hint = did_you_mean(ref, steps, most=1)
    return f"step '{step_id}' refers to ${{{ref}}}, but there is no step '{ref}'{hint}"


def _cycles(graph: nx.DiGraph) -> list[str]:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return []
    chain = " -> ".join([edge[0] for edge in cycle] + [cycle[0][0]])
    return [f"the steps form a cycle ({chain}); a step can only use the output of steps before it"]


def _tool_problems(steps: Iterable[Step], tools: Mapping[str, Tool]) -> list[str]:
    problems = []
    for step in steps:
        tool = tools.get(step.tool)
        problems += [_unknown_tool(step, tools)] if tool is None else _schema_problems(step, tool)
    return problems


def _unknown_tool(step: Step, tools: Mapping[str, Tool]) -> str:
    hint = did_you_mean(step.tool, tools, most=1)
    available = ", ".join(sorted(tools)) or "none"
    return f"step '{step.id}' uses unknown tool '{step.tool}'{hint} (available: {available})"


def _schema_problems(step: Step, tool: Tool) -> list[str]:
    """Schema errors in the arguments, except where a whole reference stands in a value."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(tool.parameters)
    problems = []
    for error in validator.iter_errors(step.args):
        if _behind_reference(step.args, list(error.absolute_path)):
            continue  # its value is only known when the referred step has run
        where = ".".join(str(part) for part in error.absolute_path)
        place = f"argument '{where}'" if where else "arguments"
        problems.append(f"step '{step.id}' (tool '{step.tool}'): {place}: {error.message}")
    return problems


def _behind_reference(args: Any, path: list[Any]) -> bool:
    value = args
    for part in path:
        if isinstance(value, str):
            break
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return False
    return isinstance(value, str) and bool(WHOLE_REFERENCE.match(value))


def _describe(error: Any) -> str:
    where = ".".join(str(part) for part in error["loc"])
    return f"{where or 'plan'}: {error['msg']}"


def _listing(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"invalid plan: {problems[0]}"
    return "invalid plan: " + "; ".join(f"({i}) {p}" for i, p in enumerate(problems, 1))
