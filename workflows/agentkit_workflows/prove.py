"""``prove``: proof search with checker feedback and premise selection.

The model writes a proof; the real checker (``check_proof``: Coq's coqc, or z3) judges
it. When it fails, the model gets what the checker said (the failing sentence, the
error and the goal before it; or z3's counterexample) together with lemmas fetched by
the ``retrieve`` tool from an index of the library the proof may use, chosen by the
goal and the error (premise selection, as in LeanDojo), and it revises. This is
:func:`agentkit.verify.refine` with the checker as the verifier.

Only the checker decides. ``verified`` is true only when the check says ``proved``:
``Admitted``, ``admit`` and axioms (status ``incomplete``) are fed back as gaps, and a
check that gives no verdict (``unknown``, a time-out) is not a proof either. For Coq,
check_proof is given the theorem's name: the file is proved only when that theorem
(and every other it states) is, as stated, in the compiled result, so a proof that
aborts, resets or redefines the statement is no proof of it.

Coq: the checked file is always ``context``, then the statement exactly as given, then
the model's proof; the model never restates the theorem, so it cannot prove an easier
one. Before any proof is asked for, the statement (after the context) is checked once
with ``Admitted``, so a statement or context that does not even parse is one clear
error instead of a wasted search.

SMT: the model states the claim for z3 (``{"claim", "assumptions", "variables"}`` in
check_proof's syntax, or an SMT-LIB script asserting its negation). z3 proves the claim
the model wrote; that it says what ``statement`` says is the model's reading, which the
result shows (``answer``) for a person to check. A false claim's counterexample goes
back to the model, which corrects its claim or gives up.

A model gives up by replying without a code block; the search then stops.

Every check, search and verdict is durable (``ctx.call``, ``ctx.refine``): on a resume
finished ones return their saved results, and nothing is recorded twice.
"""

from __future__ import annotations

import json
import re
from typing import Any

import agentkit
from agentkit.models import Message
from agentkit.replies import last_code_block
from agentkit.verify import Refined, feedback_text

LANGUAGES = ("coq", "smt")
MAX_PREMISE_CHARS = 800  # of each lemma shown to the model
MAX_CONTEXT_CHARS = 4000
MAX_REASON_CHARS = 2000

SYSTEM = {
    "coq": (
        "You write Coq proofs that coqc accepts. The statement is given; reply with its "
        "proof, from `Proof.` to `Qed.`, in one ```coq code block, and do not restate the "
        "theorem. Admitted, admit and axioms never count as a proof. If you conclude that "
        "the statement cannot be proved, say why and reply with no code block."
    ),
    "smt": (
        "You state claims for the z3 SMT solver. Reply with one ```json code block "
        '{"claim": ..., "assumptions": [...], "variables": {"x": "Int"}}: the claim and '
        "assumptions in Python syntax (and, or, not, implies(a, b), ==, <=, +, *), each "
        "variable's sort Int, Real, Bool or BitVec<n>. Or reply with an SMT-LIB script, "
        "in one ```smt2 block, that asserts the negation of the claim. If you conclude "
        "that the statement is false, say why and reply with no code block."
    ),
}
FENCES = {"coq": ("coq", "v", "gallina"), "smt": ("json", "smt2", "smt", "smtlib", "smt-lib")}
THEOREM = re.compile(
    r"^\s*(?:Theorem|Lemma|Fact|Remark|Corollary|Proposition|Example)\s+([\w']+)", re.M
)
PROOF_END = re.compile(r"\b(?:Qed|Defined|Admitted|Abort(?:\s+All)?|Save\s+[\w']+)\s*\.\s*$")


@agentkit.workflow(name="prove")
def prove(
    ctx: agentkit.Context,
    statement: str,
    language: str = "coq",
    index: str = "",
    context: str = "",
    max_attempts: int = 4,
    premises: int = 4,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """Search for a proof of ``statement`` that the real checker accepts.

    :param statement: Coq: the theorem (``Theorem name : ... .``); SMT: the claim to
        state for z3, in words or in check_proof's claim syntax
    :param language: "coq" or "smt"
    :param index: a retriever index (name or path) of the library the proof may use;
        its lemmas are fetched by the statement, then by the goal and error of each
        failure, and shown to the model
    :param context: source placed before the statement (Coq: definitions, lemmas,
        ``Require Import``; SMT-LIB: declarations) that the proof may use
    :param max_attempts: how many proofs the model may write
    :param premises: how many lemmas to fetch each time
    :param timeout: seconds for each check
    :returns: ``answer`` (the checked text: the whole Coq file, or the claim), ``proof``
        (the model's part), ``verified``, ``status`` (of the answer's check, or
        ``gave_up``), ``attempts`` (proofs asked for), ``gave_up``, ``reason``,
        ``premises`` (the lemmas shown), ``history`` (each attempt's status and feedback)
    """
    theorem = _check_inputs(statement, language, index, max_attempts, premises, ctx.tools)
    if language == "coq":
        _check_statement(ctx, statement, context, theorem, timeout)
    library = Library(ctx, index, premises)
    messages: list[Message] = [{"role": "system", "content": SYSTEM[language]}]

    def generate(problem: str, failures: list[agentkit.Verdict]) -> dict[str, Any]:
        if len(messages) == 1:
            lemmas = library.fetch(premise_query(statement, []), first=True)
            messages.append(
                {"role": "user", "content": _first_prompt(language, statement, context, lemmas)}
            )
        else:
            lemmas = library.fetch(premise_query(statement, failures))
            revise = feedback_text(failures) + _lemmas_text(lemmas) + "\n\n" + AGAIN[language]
            messages.append({"role": "user", "content": revise})
        reply = ctx.ask(list(messages)).content or ""
        messages.append({"role": "assistant", "content": reply})
        return read_attempt(reply, language, statement, context)

    checker = ProofChecker(theorem, timeout)
    refined = ctx.refine(generate, statement, verifiers=[checker], attempts=max_attempts)
    result = _result(refined, language, library.shown)
    ctx.log("prove finished", verified=result["verified"], status=result["status"])
    return result


FIRST = {"coq": "Prove this theorem:", "smt": "State this as a claim for z3, to be proved:"}
AGAIN = {
    "coq": "Revise the proof; reply with it, from `Proof.` to `Qed.`, in one ```coq block.",
    "smt": (
        "If your claim misstates the statement, revise it and reply with it in one ```json "
        "(or ```smt2) block; if the statement itself is false, say so, with no code block."
    ),
}


def _check_inputs(
    statement: str, language: str, index: str, max_attempts: int, premises: int, tools: list[str]
) -> str | None:
    """One clear line for a bad input; returns the Coq theorem's name."""
    if language not in LANGUAGES:
        raise ValueError(f"prove: language must be one of {', '.join(LANGUAGES)}, not {language!r}")
    if not statement.strip():
        raise ValueError("prove: `statement` is empty: give the theorem to prove")
    if max_attempts < 1 or premises < 1:
        raise ValueError("prove: max_attempts and premises must be at least 1")
    if "check_proof" not in tools:
        raise ValueError("prove needs the `check_proof` tool: install and load agentkit-prover")
    if index and "retrieve" not in tools:
        raise ValueError(
            "prove: an `index` needs the `retrieve` tool: install and load agentkit-retriever"
        )
    if language != "coq":
        return None
    name = THEOREM.match(statement)
    if name is None:
        raise ValueError("prove: a Coq statement reads `Theorem NAME : PROPOSITION.`")
    return name.group(1)


def _check_statement(
    ctx: agentkit.Context, statement: str, context: str, theorem: str | None, timeout: float
) -> None:
    """Check the context and the statement with an admitted proof: anything but
    ``incomplete`` means they do not check as given, and no proof could help."""
    source = coq_source(context, statement, "Admitted.")[0]
    checked = ctx.call(
        "check_proof", source=source, language="coq", theorem=theorem, timeout=timeout
    )
    if not checked.ok:
        raise ValueError(f"prove: the statement could not be checked: {checked.error}")
    output = checked.output
    if output["status"] != "incomplete":
        detail = output["errors"][0]["message"] if output["errors"] else output["status"]
        if not output["errors"] and output["messages"]:
            detail = f"{detail}: {output['messages'][0]}"
        raise ValueError(
            "prove: the statement (after the context) does not check: " + " ".join(detail.split())
        )
    if gaps := [gap["message"] for gap in output["incomplete"] if gap["name"] != theorem]:
        raise ValueError(f"prove: the context is not proved itself ({gaps[0]}), so no proof can be")


class Library:
    """Premise selection: the lemmas of the index that best match a goal or an error."""

    def __init__(self, ctx: agentkit.Context, index: str, k: int) -> None:
        self.ctx, self.index, self.k = ctx, index, k
        self.shown: list[str] = []  # every lemma shown, by title, in order

    def fetch(self, query: str, *, first: bool = False) -> list[dict[str, Any]]:
        """The best ``k`` lemmas for ``query`` (none without an index). A failed first
        search is a bad index, and an error; a later one only loses the lemmas."""
        if not self.index or not query.strip():
            return []
        found = self.ctx.call("retrieve", query=query, k=self.k, index=self.index)
        if not found.ok:
            if first:
                raise ValueError(f"prove: cannot search the index: {found.error}")
            self.ctx.log("premise selection failed", error=found.error)
            return []
        hits = found.output["hits"]
        for hit in hits:
            if hit["title"] not in self.shown:
                self.shown.append(hit["title"])
        return hits


# Words of Coq's error messages, which say nothing about which lemma would help.
STOPWORDS = frozenset(
    {"goal", "goals", "in", "environment", "unable", "to", "unify", "with", "the", "an"}
    | {"of", "is", "it", "has", "type", "while", "expected", "have", "this", "that", "was"}
    | {"not", "found", "reference", "current", "error", "cannot", "be", "for", "no", "such"}
    | {"theorem", "lemma", "forall", "exists", "fun", "proof", "qed"}  # in every lemma
)
# Operators as the words lemma names use for them (Nat.add_0_r, app_nil_r, le_trans).
SYMBOLS = {"+": "add", "*": "mul", "-": "sub", "<=": "le", "<": "lt", ">=": "ge", ">": "gt"}
SYMBOLS |= {"<>": "neq", "++": "app", "::": "cons"}
_TOKEN = re.compile(r"<=|>=|<>|\+\+|::|[+*<>-]|[A-Za-z_][\w'.]*|\d+")


def premise_query(statement: str, failures: list[agentkit.Verdict]) -> str:
    """Words for the retriever from a failure (or, with none, from the statement): the
    goal's conclusion first (what is left to prove), then its hypotheses, the failing
    sentence (it may name a lemma that does not exist) and the error. Operators become
    the words lemma names use (``+``: add); single-letter variables, keywords and the
    words of error messages are left out."""
    failure = failures[0] if failures else agentkit.Verdict(status="failed")
    evidence = failure.evidence if isinstance(failure.evidence, dict) else {}
    error = (evidence.get("errors") or [{}])[0]
    goal = re.sub(r"\b\d+ goals?\b", "", error.get("goal") or "")
    hypotheses, _, conclusion = goal.rpartition("=====")
    parts = [conclusion.strip("= \n") or statement, hypotheses, error.get("sentence") or ""]
    text = " ".join([*parts, error.get("message") or failure.feedback])
    words = []
    for token in _TOKEN.findall(text):
        word = SYMBOLS.get(token, token).strip(".")
        if (len(word) > 1 or word.isdigit()) and word.lower() not in STOPWORDS:
            words.append(word.replace(".", " "))
    return " ".join(dict.fromkeys(words))


def _first_prompt(language: str, statement: str, context: str, lemmas: list[dict[str, Any]]) -> str:
    parts = [f"{FIRST[language]}\n```\n{statement.strip()}\n```"]
    if context.strip():
        shown = context.strip()
        if len(shown) > MAX_CONTEXT_CHARS:  # a whole library: the lemmas below are its gist
            shown = shown[:MAX_CONTEXT_CHARS] + "\n(* ... the rest is not shown *)"
        parts.append(f"It comes after this context, which the proof may use:\n```\n{shown}\n```")
    return "\n\n".join(parts) + _lemmas_text(lemmas)


def _lemmas_text(lemmas: list[dict[str, Any]]) -> str:
    if not lemmas:
        return ""
    shown = []
    for hit in lemmas:
        text = hit["text"].strip()
        if len(text) > MAX_PREMISE_CHARS:
            text = text[:MAX_PREMISE_CHARS] + "\n(* ... *)"
        shown.append(f"(* {hit['title']}, {hit['path']}:{hit['start_line']} *)\n{text}")
    return "\n\nLemmas from the library that may help:\n```\n" + "\n\n".join(shown) + "\n```"


# -- reading a reply -------------------------------------------------------------------


def read_attempt(reply: str, language: str, statement: str, context: str) -> dict[str, Any]:
    """What the model wrote, as the candidate to check (a JSON dict).

    ``{"gave_up": True, "reason": ...}`` for a reply without a code block; otherwise
    ``proof`` (the model's part), ``answer`` (the text to keep), and ``check`` (the
    arguments for check_proof) or ``invalid`` (why it cannot be checked at all).
    """
    block = last_code_block(reply, FENCES[language])
    if block is None:
        return {"gave_up": True, "reason": reply.strip()[:MAX_REASON_CHARS]}
    if language == "coq":
        proof = proof_after(block, statement)
        source, first_line = coq_source(context, statement, proof)
        check = {"source": source, "language": "coq"}
        return {"proof": proof, "answer": source, "first_line": first_line, "check": check}
    if block.lstrip().startswith("("):  # an SMT-LIB script
        source = f"{context.strip()}\n{block}" if context.strip() else block
        return {"proof": block, "answer": source, "check": {"source": source, "language": "smt"}}
    return _claim_attempt(block)


def proof_after(block: str, statement: str) -> str:
    """The proof part of a Coq block: what follows the statement if the model restated
    it anyway, ending with ``Qed.`` if the model left the ending out."""
    restated = re.search(r"\s+".join(map(re.escape, statement.split())), block)
    proof = (block[restated.end() :] if restated else block).strip()
    if not PROOF_END.search(proof):
        proof += "\nQed."
    return proof


def coq_source(context: str, statement: str, proof: str) -> tuple[str, int]:
    """The file to check, and the line its proof starts on."""
    head = (
        f"{context.strip()}\n\n{statement.strip()}\n"
        if context.strip()
        else f"{statement.strip()}\n"
    )
    return f"{head}{proof.strip()}\n", head.count("\n") + 1


def _claim_attempt(block: str) -> dict[str, Any]:
    try:
        claim = json.loads(block)
    except json.JSONDecodeError as exc:
        return {"proof": block, "answer": block, "invalid": f"the block is not JSON: {exc}"}
    if problem := _claim_problem(claim):
        return {"proof": block, "answer": block, "invalid": problem}
    args = {key: claim.get(key) or default for key, default in CLAIM_FIELDS.items()}
    answer = json.dumps(args, ensure_ascii=False)
    return {"proof": answer, "answer": answer, "check": args}


CLAIM_FIELDS: dict[str, Any] = {"claim": "", "assumptions": [], "variables": {}}


def _claim_problem(claim: Any) -> str | None:
    if not isinstance(claim, dict) or not isinstance(claim.get("claim"), str):
        return 'the JSON must be an object with a "claim" string'
    assumptions = claim.get("assumptions") or []
    if not isinstance(assumptions, list) or not all(isinstance(a, str) for a in assumptions):
        return '"assumptions" must be a list of strings'
    variables = claim.get("variables") or {}
    if not isinstance(variables, dict) or not all(isinstance(s, str) for s in variables.values()):
        return '"variables" must map each name to its sort, e.g. {"x": "Int"}'
    return None


# -- judging an attempt ----------------------------------------------------------------


class ProofChecker:
    """The verifier: ``check_proof`` (a durable tool call through the workflow's context)
    and what its answer means for the model.

    Every status but ``proved`` fails, so that it is fed back: an error with its
    sentence and goal, a gap (``Admitted``), a counterexample, or a check with no
    verdict. A give-up is not checked at all, which ends :func:`refine`'s loop.
    """

    name = "check_proof"

    def __init__(self, theorem: str | None, timeout: float) -> None:
        self.theorem, self.timeout = theorem, timeout

    def applies_to(self, candidate: Any, problem: Any) -> bool:
        return isinstance(candidate, dict) and not candidate.get("gave_up")

    def verify(self, candidate: Any, problem: Any, ctx: Any = None) -> agentkit.Verdict:
        if "invalid" in candidate:
            return _failed(f"It cannot be checked: {candidate['invalid']}", {"status": "invalid"})
        theorem = {"theorem": self.theorem} if self.theorem else {}
        checked = ctx.call("check_proof", **candidate["check"], **theorem, timeout=self.timeout)
        if not checked.ok:
            return _failed(f"check_proof could not check it: {checked.error}", {"status": "error"})
        return self._meaning(checked.output, candidate.get("first_line", 1))

    def _meaning(self, output: dict[str, Any], first_line: int) -> agentkit.Verdict:
        status = output["status"]
        if status == "proved":  # check_proof alone decides, for the theorem asked for
            return agentkit.Verdict(status="passed", feedback="proved", evidence=output)
        if status == "error":
            return _failed(_error_text(output, first_line), output)
        if status == "incomplete":
            gaps = "; ".join(gap["message"] for gap in output["incomplete"])
            return _failed(
                f"The proof is incomplete: {gaps}. Admitted, admit and axioms never count "
                "as a proof: close every goal and end with Qed.",
                output,
            )
        if status == "refuted":
            shown = "; ".join(output["messages"])
            return _failed(f"The claim is false ({shown}).", output, output["counterexample"])
        why = "; ".join(output["messages"]) or "no reason given"
        return _failed(f"The checker gave no verdict ({why}), and that is not a proof.", output)


def _failed(
    feedback: str, evidence: dict[str, Any], counterexample: Any = None
) -> agentkit.Verdict:
    return agentkit.Verdict(
        status="failed", feedback=feedback, evidence=evidence, counterexample=counterexample
    )


def _error_text(output: dict[str, Any], first_line: int) -> str:
    """The first error: where in the model's proof, the failing sentence, the message and
    the goal just before it (lines counted from the proof's first line)."""
    error = output["errors"][0]
    where = ""
    if error.get("line") is not None and error["line"] >= first_line:
        where = f" on its line {error['line'] - first_line + 1}"
    lines = [f"The proof fails{where}."]
    if error.get("sentence"):
        lines.append(f"Failing sentence: {error['sentence']}")
    lines.append(f"Error: {error['message']}")
    if error.get("goal"):
        lines.append(f"Goal before that sentence:\n{error['goal']}")
    if len(output["errors"]) > 1:
        lines.append(f"({len(output['errors']) - 1} more errors after this one.)")
    if output["incomplete"]:
        gaps = "; ".join(gap["message"] for gap in output["incomplete"])
        lines.append(f"It also has gaps, which never count as a proof: {gaps}.")
    return "\n".join(lines)


def _result(refined: Refined[dict[str, Any]], language: str, premises: list[str]) -> dict[str, Any]:
    """The passing attempt if there is one, else the latest attempt that wrote a proof."""
    attempts = refined.attempts
    history = [
        {
            "attempt": number,
            "status": _status(attempt.candidate, attempt.verdicts),
            "feedback": attempt.verdicts[0].feedback if attempt.verdicts else "",
            "proof": attempt.candidate.get("proof"),
        }
        for number, attempt in enumerate(attempts, 1)
    ]
    written = [i for i, attempt in enumerate(attempts) if "answer" in attempt.candidate]
    chosen = refined.chosen if refined.verified else (written[-1] if written else None)
    last = attempts[-1].candidate
    return {
        "answer": attempts[chosen].candidate["answer"] if chosen is not None else "",
        "proof": attempts[chosen].candidate["proof"] if chosen is not None else "",
        "verified": refined.verified,
        "status": history[chosen]["status"] if chosen is not None else "gave_up",
        "attempts": len(attempts),
        "gave_up": bool(last.get("gave_up")),
        "reason": last.get("reason", ""),
        "language": language,
        "premises": premises,
        "history": history,
    }


def _status(candidate: dict[str, Any], verdicts: list[agentkit.Verdict]) -> str:
    if candidate.get("gave_up"):
        return "gave_up"
    evidence = verdicts[0].evidence if verdicts else None
    return evidence.get("status", "error") if isinstance(evidence, dict) else "error"
