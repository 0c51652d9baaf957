"""``agentkit prove`` and ``agentkit tools call check_proof``, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from prover_samples import PLUS_O_N, VC_PROVED, VC_REFUTED, WRONG

AGENTKIT = Path(sys.executable).with_name("agentkit")


def agentkit(*args: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AGENTKIT_HOME": str(home),
        "AGENTKIT_LOAD_PLUGINS": "prover",
    }
    return subprocess.run(
        [str(AGENTKIT), *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd
    )


@pytest.fixture
def run(tmp_path, coq):
    """``run(*args)``: the agentkit command line, with only this plugin loaded."""
    (tmp_path / "home").mkdir()
    return lambda *args: agentkit(*args, home=tmp_path / "home", cwd=tmp_path)


def test_prove_json_reports_a_wrong_coq_proof_and_exits_1(run, tmp_path):
    (tmp_path / "proof.v").write_text(WRONG)
    completed = run("prove", "proof.v", "--json")
    assert completed.returncode == 1, completed.stderr
    result = json.loads(completed.stdout)
    assert result["status"] == "error" and result["backend"] == "coq"
    assert result["errors"][0]["line"] == 4 and result["errors"][0]["sentence"] == "reflexivity."


def test_prove_prints_a_human_summary_with_file_line_column_sentence_and_goal(run, tmp_path):
    (tmp_path / "wrong.v").write_text(WRONG)
    completed = run("prove", "wrong.v")
    assert completed.returncode == 1
    lines = completed.stdout.splitlines()
    assert lines[0].startswith("wrong.v: error (coq, ")
    assert lines[1] == "wrong.v:4:13: In environment"
    assert "  sentence: reflexivity." in lines
    assert "  goal:" in lines and lines[-1] == "      n + 0 = n"


def test_prove_exits_0_when_proved(run, tmp_path):
    (tmp_path / "ok.v").write_text(PLUS_O_N)
    completed = run("prove", "ok.v", "--timeout", "20")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("ok.v: proved (coq, ")


def test_prove_smt2_refuted_gives_the_model_and_proved_exits_0(run, tmp_path):
    (tmp_path / "claim.smt2").write_text(VC_REFUTED)
    (tmp_path / "vc.smt2").write_text(VC_PROVED)
    refuted = run("prove", "claim.smt2", "--json")
    assert refuted.returncode == 1
    result = json.loads(refuted.stdout)
    assert result["status"] == "refuted" and set(result["counterexample"]) == {"x", "y"}
    proved = run("prove", "vc.smt2", "--json")
    assert proved.returncode == 0 and json.loads(proved.stdout)["status"] == "proved"


def test_a_missing_file_or_unknown_suffix_is_a_one_line_usage_error(run, tmp_path):
    missing = run("prove", "nowhere.v")
    assert missing.returncode == 2 and missing.stdout == ""
    assert missing.stderr.count("\n") == 1 and "nowhere.v" in missing.stderr
    (tmp_path / "notes.txt").write_text("hello")
    unknown = run("prove", "notes.txt", "--json")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert unknown.stderr.startswith("Error: notes.txt: no proof checker for '.txt'")
    assert unknown.stderr.count("\n") == 1


def test_tools_call_check_proof_prints_the_verdict(run):
    arguments = json.dumps({"source": WRONG, "language": "coq", "timeout": 20})
    completed = run("tools", "call", "check_proof", "--args", arguments, "--json")
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["ok"] is True and result["output"]["status"] == "error"
    assert "n + 0 = n" in result["output"]["errors"][0]["goal"]


def test_tools_call_with_both_source_and_claim_fails_in_one_line(run):
    arguments = json.dumps({"source": "x", "claim": "x > 0"})
    completed = run("tools", "call", "check_proof", "--args", arguments)
    assert completed.returncode == 1
    assert completed.stderr == "Error: check_proof: give exactly one of 'source' and 'claim'\n"


def test_prove_json_says_error_for_a_theorem_a_section_hypothesis_proved(run, tmp_path):
    (tmp_path / "cheat.v").write_text(
        "Section S.\n  Hypothesis h : False.\n  Theorem main : 1 = 2.\n"
        "  Proof. destruct h. Qed.\nEnd S.\n"
    )
    completed = run("prove", "cheat.v", "--json")
    assert completed.returncode == 1, completed.stderr
    result = json.loads(completed.stdout)  # one JSON document, nothing else
    assert result["status"] == "error"
    assert result["errors"][0]["message"].startswith("main does not have the stated type")


def test_prove_theorem_names_one_the_file_must_state(run, tmp_path):
    (tmp_path / "ok.v").write_text(PLUS_O_N)
    assert run("prove", "ok.v", "--theorem", "plus_O_n").returncode == 0
    missing = run("prove", "ok.v", "--theorem", "plus_n_O", "--json")
    assert missing.returncode == 1
    [error] = json.loads(missing.stdout)["errors"]
    assert error["message"].startswith("plus_n_O is not stated in the file")
    (tmp_path / "vc.smt2").write_text(VC_PROVED)
    smt = run("prove", "vc.smt2", "--theorem", "t")
    assert smt.returncode == 2 and smt.stderr.count("\n") == 1
    assert "smt proofs have no named theorems" in smt.stderr
