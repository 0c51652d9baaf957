"""The counterexample-search benchmark suite, read without importing any case code.

Function cases are ``functions/<name>.py``: module-level constants (``BUG_CLASS``,
``EXPECTED_KIND``, ``KNOWN_FAILING_INPUT``, optional ``COMPARE`` and ``SAMPLE_INPUTS``) and the
functions ``reference`` and ``candidate`` (same signature, fully type-hinted), optionally
``precondition``. The constants are read with :mod:`ast` and :func:`ast.literal_eval`, so
candidate code never runs in the loading process. A dataclass argument inside
``KNOWN_FAILING_INPUT`` or ``SAMPLE_INPUTS`` is written as a dict of its fields.

Program cases are ``programs/<name>/`` with ``reference.py``, ``candidate.py``,
``generator.py`` (``generate(rng, size) -> str``), optional ``validator.py``
(``validate(text) -> bool``) and ``case.toml`` (``bug_class``, ``expected_kind``,
``known_failing_input`` as stdin text, ``compare``, optional ``sample_inputs``). Program
outputs are compared token by token; ``compare`` says how tokens are compared.

    from cases import load_cases   # with bench/refute on sys.path
    for case in load_cases():
        print(case.name, case.kind, case.bug_class, case.expected_kind)
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent
FUNCTIONS_DIR = ROOT / "functions"
PROGRAMS_DIR = ROOT / "programs"

BUG_CLASSES: tuple[str, ...] = (
    "off_by_one",
    "boundary",
    "empty_input",
    "duplicates",
    "negative_numbers",
    "int_float",
    "precedence",
    "mutated_input",
    "order_dependence",
    "larger_inputs",
    "non_termination",
    "crash",
)
CORRECT = "correct"
EXPECTED_KINDS: tuple[str, ...] = ("wrong_output", "crash", "timeout")
COMPARES: tuple[str, ...] = ("exact", "float", "unordered")

_CONSTANTS = ("BUG_CLASS", "EXPECTED_KIND", "KNOWN_FAILING_INPUT", "COMPARE", "SAMPLE_INPUTS")
_PROGRAM_FILES = ("reference.py", "candidate.py", "generator.py", "case.toml")


class CaseError(Exception):
    """A case file that does not follow the suite's format."""


@dataclass(frozen=True)
class Case:
    name: str
    kind: Literal["function", "program"]
    path: Path  # the function file, or the program's directory
    bug_class: str  # one of BUG_CLASSES, or "correct"
    expected_kind: str | None  # one of EXPECTED_KINDS; None for correct cases
    known_failing_input: Any  # tuple of positional args / stdin text; None for correct cases
    compare: str = "exact"
    sample_inputs: tuple[Any, ...] = ()  # inputs on which a correct case must agree
    params: tuple[str, ...] = ()  # function cases: parameter names, in order
    has_precondition: bool = False
    dataclasses: tuple[str, ...] = ()  # function cases: dataclasses defined in the file

    @property
    def is_correct(self) -> bool:
        return self.bug_class == CORRECT


def case_paths(root: Path = ROOT) -> list[Path]:
    """Every case: the function files, then the program directories, by name."""
    functions = sorted((root / "functions").glob("*.py"))
    programs = (
        sorted(p for p in (root / "programs").iterdir() if p.is_dir())
        if (root / "programs").is_dir()
        else []
    )
    return [p for p in functions if not p.name.startswith("_")] + [
        p for p in programs if not p.name.startswith(("_", "."))
    ]


def load_cases(root: Path = ROOT) -> list[Case]:
    """All cases; raises :class:`CaseError` on the first malformed one."""
    return [load_case(path) for path in case_paths(root)]


def load_case(path: Path) -> Case:
    return load_program_case(path) if path.is_dir() else load_function_case(path)


def load_function_case(path: Path) -> Case:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise CaseError(f"{path.name}: {exc}") from exc
    constants: dict[str, Any] = {}
    functions: dict[str, ast.FunctionDef] = {}
    dataclass_names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in _CONSTANTS:
                try:
                    constants[target.id] = ast.literal_eval(node.value)
                except ValueError as exc:
                    raise CaseError(f"{path.name}: {target.id} is not a literal") from exc
        elif isinstance(node, ast.FunctionDef):
            functions[node.name] = node
        elif isinstance(node, ast.ClassDef) and any(
            _is_dataclass_decorator(d) for d in node.decorator_list
        ):
            dataclass_names.append(node.name)

    def fail(message: str) -> CaseError:
        return CaseError(f"{path.name}: {message}")

    for name in ("BUG_CLASS", "EXPECTED_KIND", "KNOWN_FAILING_INPUT"):
        if name not in constants:
            raise fail(f"{name} is missing")
    for name in ("reference", "candidate"):
        if name not in functions:
            raise fail(f"def {name} is missing")
    if ast.get_docstring(tree) is None:
        raise fail("no module docstring describing the task")

    params = _check_signatures(functions, fail)
    bug_class, expected_kind = constants["BUG_CLASS"], constants["EXPECTED_KIND"]
    failing, compare = constants["KNOWN_FAILING_INPUT"], constants.get("COMPARE", "exact")
    samples = constants.get("SAMPLE_INPUTS", [])
    _check_metadata(bug_class, expected_kind, failing, compare, fail)
    if failing is not None and (not isinstance(failing, tuple) or len(failing) != len(params)):
        raise fail(f"KNOWN_FAILING_INPUT must be a tuple of {len(params)} positional args")
    if not isinstance(samples, list) or any(
        not isinstance(s, tuple) or len(s) != len(params) for s in samples
    ):
        raise fail(f"SAMPLE_INPUTS must be a list of tuples of {len(params)} positional args")
    return Case(
        name=path.stem,
        kind="function",
        path=path,
        bug_class=bug_class,
        expected_kind=expected_kind,
        known_failing_input=failing,
        compare=compare,
        sample_inputs=tuple(samples),
        params=params,
        has_precondition="precondition" in functions,
        dataclasses=tuple(dataclass_names),
    )


def load_program_case(directory: Path) -> Case:
    def fail(message: str) -> CaseError:
        return CaseError(f"{directory.name}/: {message}")

    for name in _PROGRAM_FILES:
        if not (directory / name).is_file():
            raise fail(f"{name} is missing")
    try:
        meta = tomllib.loads((directory / "case.toml").read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"case.toml: {exc}") from exc
    unknown = set(meta) - {
        "bug_class",
        "expected_kind",
        "known_failing_input",
        "compare",
        "sample_inputs",
    }
    if unknown:
        raise fail(f"case.toml: unknown keys {sorted(unknown)}")
    if "bug_class" not in meta:
        raise fail("case.toml: bug_class is missing")
    bug_class = meta["bug_class"]
    expected_kind = meta.get("expected_kind")
    failing = meta.get("known_failing_input")
    compare = meta.get("compare", "exact")
    samples = meta.get("sample_inputs", [])
    _check_metadata(bug_class, expected_kind, failing, compare, fail)
    if failing is not None and not isinstance(failing, str):
        raise fail("known_failing_input must be the stdin text")
    if not isinstance(samples, list) or not all(isinstance(s, str) for s in samples):
        raise fail("sample_inputs must be a list of stdin texts")
    return Case(
        name=directory.name,
        kind="program",
        path=directory,
        bug_class=bug_class,
        expected_kind=expected_kind,
        known_failing_input=failing,
        compare=compare,
        sample_inputs=tuple(samples),
    )


def _check_metadata(
    bug_class: Any, expected_kind: Any, failing: Any, compare: Any, fail: Any
) -> None:
    if bug_class == CORRECT:
        if expected_kind is not None or failing is not None:
            raise fail("a correct case has no expected kind and no known failing input")
    else:
        if bug_class not in BUG_CLASSES:
            raise fail(f"unknown bug class {bug_class!r}")
        if expected_kind not in EXPECTED_KINDS:
            raise fail(f"expected kind must be one of {EXPECTED_KINDS}, not {expected_kind!r}")
        if failing is None:
            raise fail("a buggy case needs a known failing input")
    if compare not in COMPARES:
        raise fail(f"compare must be one of {COMPARES}, not {compare!r}")


def _check_signatures(functions: dict[str, ast.FunctionDef], fail: Any) -> tuple[str, ...]:
    ref, cand = functions["reference"], functions["candidate"]
    for fn in (ref, cand):
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
            raise fail(f"{fn.name}: only plain positional parameters without defaults")
        if fn.returns is None or any(arg.annotation is None for arg in a.args):
            raise fail(f"{fn.name}: every parameter and the return value need a type hint")
    if _signature(ref) != _signature(cand):
        raise fail("reference and candidate have different signatures")
    pre = functions.get("precondition")
    if pre is not None and (
        _signature(pre)[0] != _signature(ref)[0]
        or ast.unparse(pre.returns or ast.Constant(None)) != "bool"
    ):
        raise fail("precondition must take the same parameters and return bool")
    return tuple(arg.arg for arg in ref.args.args)


def _signature(fn: ast.FunctionDef) -> tuple[tuple[tuple[str, str], ...], str]:
    params = tuple((arg.arg, ast.unparse(arg.annotation)) for arg in fn.args.args if arg.annotation)
    return params, ast.unparse(fn.returns) if fn.returns else ""


def _is_dataclass_decorator(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        node = node.func
    return (isinstance(node, ast.Name) and node.id == "dataclass") or (
        isinstance(node, ast.Attribute) and node.attr == "dataclass"
    )
