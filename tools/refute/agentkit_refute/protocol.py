"""What the subject's worker may answer: every reply checked before it is used.

The subject's worker runs the code under suspicion, so whatever it sends is that code's
word. A batch's replies must be one well-formed answer per input, in order; a worker may
stop early only after a timeout it was told to stop at, or when the time it was given
ran out, and it is not believed about the time when it answers early.
"""

from __future__ import annotations

import math
from typing import Any

from agentkit_refute.values import decode

STATUSES = ("ok", "error", "timeout", "crash", "cut")
GRACE = 0.5  # seconds a worker may answer after the time it was given, before it is killed


def protocol_problem(
    replies: Any, count: int, left: float, stop_on_timeout: bool, text_output: bool = False
) -> str | None:
    """What is wrong with a batch's replies, or None.

    ``left``: the seconds of its time the worker had not used when it answered; a
    worker that says the budget cut it short while time was left is not believed.
    ``text_output``: the outputs are a program's stdout text.
    """
    if not isinstance(replies, list) or not replies or len(replies) > count:
        return f"it sent {type(replies).__name__} of length {_length(replies)} for {count} inputs"
    for position, reply in enumerate(replies):
        problem = _reply_problem(reply, text_output)
        if problem:
            return f"reply {position + 1}: {problem}"
    last = replies[-1]["status"]
    if any(r["status"] == "cut" for r in replies[:-1]):
        return "it went on after saying the time was up"
    if last == "cut" and left > GRACE:
        return f"it said the time was up with {left:.2g} s left"
    if len(replies) < count and not (last == "cut" or (stop_on_timeout and last == "timeout")):
        return f"it answered {len(replies)} of {count} inputs"
    return None


def _reply_problem(reply: Any, text_output: bool) -> str | None:
    """What is wrong with one answer: every field the host reads must be there and of
    its type, so nothing the worker sends can raise on the host."""
    if not isinstance(reply, dict) or reply.get("status") not in STATUSES:
        return f"not an answer: {reply!r:.80}"
    status = reply["status"]
    if status == "timeout" and "seconds" not in reply:
        return "a timeout without its time"
    seconds = reply.get("seconds", 0.0)
    if not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
        return f"a time of {seconds!r:.40}"
    if status in ("error", "crash") and not isinstance(reply.get("error"), str):
        return f"an {status} without a message"
    if status == "ok":
        if "output" not in reply:
            return "an answer without an output"
        if text_output and not isinstance(reply["output"], str):
            return "a program's output that is not text"
        for field in ("output", "args_after"):
            if field in reply:
                try:
                    decode(reply[field])
                except Exception as exc:
                    return f"an unreadable {field} ({type(exc).__name__}: {exc})"[:300]
    return None


def _length(value: Any) -> int | str:
    return len(value) if isinstance(value, list | dict | str) else "-"
