"""What the terminal renderer prints for each kind of event (read back from its
recording, as ``/save FILE.txt`` would write it)."""

from __future__ import annotations

import io

from rich.console import Console

from agentkit.chat.outcome import TurnOutcome
from agentkit.chat.rich_render import RichRenderer
from agentkit.chat.turn import (
    ApprovalRequest,
    PlanStarted,
    Rejected,
    StepChanged,
    StepsEnded,
    TextDelta,
    ToolFinished,
    ToolStarted,
)
from agentkit.models.base import Usage
from agentkit.plan import Plan
from agentkit.tools import ToolResult
from agentkit.verify import Verdict


def renderer() -> RichRenderer:
    return RichRenderer(Console(file=io.StringIO(), width=90, force_terminal=False))


def printed(screen: RichRenderer) -> str:
    return "\n".join(line.rstrip() for line in screen.recorder.export_text().splitlines())


def test_a_tool_result_is_folded_and_an_approved_call_is_not_shown_twice():
    screen = renderer()
    arguments = {"code": "for i in range(20):\n    print(i)"}
    request = ApprovalRequest("python", arguments)
    screen.event(ToolStarted("c1", "python", arguments))
    screen.approval(request)
    screen.decided(request, "yes")
    output = {"stdout": "".join(f"{i}\n" for i in range(20)), "result": None}
    screen.event(ToolFinished("c1", "python", arguments, ToolResult(ok=True, output=output)))
    screen.finish_turn()

    text = printed(screen)
    assert text.count("for i in range(20):") == 1  # in the question, not again in the result
    assert "asks to run" in text
    assert "Run python? yes / no / always for this session: yes" in text
    assert "│ 7 " in text and "│ 8 " not in text
    assert "… 12 more lines" in text


def test_a_cancelled_call_says_so_instead_of_showing_a_traceback():
    screen = renderer()
    cancelled = ToolResult.failure("CancelledError: ", output={"traceback": "Traceback ..."})
    screen.event(ToolFinished("c1", "python", {"code": "sleep()"}, cancelled))
    screen.finish_turn()
    text = printed(screen)
    assert "cancelled" in text and "Traceback" not in text


def test_the_plan_tree_nests_steps_under_what_they_need_and_marks_their_state():
    plan = Plan.parse(
        {
            "steps": [
                {"id": "a", "tool": "python", "args": {"code": "1"}},
                {"id": "b", "tool": "python", "args": {"code": "2"}},
                {"id": "c", "tool": "python", "args": {"code": "${a} + ${b}"}},
                {"id": "d", "tool": "python", "args": {"code": "${c} / 0"}},
            ]
        }
    )
    screen = renderer()
    screen.event(PlanStarted(plan, 2))
    for step, status in (("a", "done"), ("b", "done"), ("c", "failed"), ("d", "skipped")):
        screen.event(StepChanged(step, status))
    done = {"status": "done", "elapsed": 0.5, "result": {"output": {"stdout": "", "result": "1"}}}
    screen.event(
        StepsEnded(
            {
                "a": done,
                "b": done,
                "c": {"status": "failed", "reason": "NameError: x"},
                "d": {"status": "skipped", "reason": "skipped because step 'c' failed"},
            }
        )
    )
    screen.finish_turn()

    lines = printed(screen).splitlines()
    assert lines[0] == "plan · attempt 2 · 4 steps"
    assert lines[1].startswith("├── ✓ a python: 1  0.50s → 1")
    assert lines[2].startswith("└── ✓ b python: 2")
    assert lines[3].startswith("    └── ✗ c python: ${a} + ${b}  (needs a, b)  NameError: x")
    assert lines[4].startswith("        └── ⊘ d python: ${c} / 0  skipped because step 'c' failed")


def outcome(kind: str, verdicts: list[Verdict], **fields) -> TurnOutcome:
    return TurnOutcome(
        kind, "q", "the answer", [], verdicts=verdicts, usage=Usage(), elapsed=1.0, **fields
    )


def test_verification_is_shown_plainly():
    passed = Verdict(status="passed", feedback="equal", verifier="math_equal")
    failed = Verdict(status="failed", feedback="differs", verifier="refute", counterexample=[0, 1])
    screen = renderer()
    screen.outcome(outcome("chat", [passed]))
    screen.outcome(outcome("verify", [passed, failed]))
    screen.outcome(outcome("chat", []))
    screen.outcome(outcome("solve", [], solve={"unverified_reason": "budget spent"}))

    text = printed(screen)
    assert "✓ verified by math_equal" in text
    assert "✗ refute: differs" in text and "counterexample: [0, 1]" in text
    assert "✗ NOT VERIFIED: a verifier rejected it" in text
    assert "○ unverified: no verifier applies to this answer" in text
    assert "○ NOT VERIFIED: budget spent" in text


def test_a_streamed_answer_is_printed_once_as_markdown():
    screen = renderer()
    for piece in ("Some ", "**bold**", " text"):
        screen.event(TextDelta(piece))
    screen.outcome(TurnOutcome("chat", "q", "Some **bold** text", []))
    text = printed(screen)
    assert text.count("Some bold text") == 1


def test_a_rejected_attempt_shows_its_verdicts_and_what_comes_next():
    screen = renderer()
    rejected = Verdict(status="failed", feedback="expected 42", verifier="equals")
    screen.event(Rejected("41", [rejected], 1, "replanning"))
    screen.finish_turn()
    text = printed(screen)
    assert "✗ attempt 1 rejected: 41" in text
    assert "✗ equals: expected 42" in text
    assert "→ replanning" in text


def test_brackets_in_results_verdicts_and_schemas_are_shown_as_they_are():
    import agentkit

    @agentkit.tool
    def pick(options: list[str]) -> str:
        """Pick one.

        :param options: the [choices]
        """
        return options[0]

    screen = renderer()
    screen.event(
        ToolFinished(
            "c1", "pick", {"options": ["[red]a[/red]"]}, ToolResult(ok=True, output="[b]x[/b]")
        )
    )
    screen.outcome(
        outcome("verify", [Verdict(status="failed", feedback="got [0, 1]", verifier="v")])
    )
    screen.tool_detail(pick)
    text = printed(screen)
    assert '["[red]a[/red]"]' in text and "[b]x[/b]" in text
    assert "✗ v: got [0, 1]" in text
    assert "list[string]" in text and "the [choices]" in text
