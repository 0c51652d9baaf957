"""The model-written generator strategy, through the real openai client and a fake server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from agentkit import OpenAIModel
from agentkit_refute import Target, refute

AGENTKIT = str(Path(sys.executable).with_name("agentkit"))

# Wrong only when the list holds 12345: no constant of the code, beyond the small scope,
# and a needle for random search within a short budget.
NEEDLE = """
def reference(xs: list[int]) -> int:
    return sum(xs)

def candidate(xs: list[int]) -> int:
    return sum(x for x in xs if x != 2469 * 5)
"""

BROKEN = "```python\ndef generate(rng, size):\n    return undefined_name\n```"
WRONG_SHAPE = "```python\ndef generate(rng, size):\n    return 'not a list'\n```"
AIMED = """I suspect a value is dropped. Here is a generator:

```python
def generate(rng, size):
    xs = [rng.randint(0, 9) for _ in range(size)]
    xs.insert(rng.randrange(len(xs) + 1), 12345)
    return xs
```
"""


def write(tmp_path: Path, name: str, code: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code))
    return path


def test_the_models_generator_finds_what_the_search_alone_misses(tmp_path, fake_openai):
    code = write(tmp_path, "needle.py", NEEDLE)
    kwargs = {"reference": Target.function(code, "reference"), "budget": 5.0}
    alone = refute(Target.function(code, "candidate"), **kwargs)
    assert not alone.found  # the control: without the model, the budget is not enough

    fake_openai.enqueue(BROKEN, WRONG_SHAPE, AIMED)
    model = OpenAIModel("fake-model", base_url=fake_openai.base_url)
    result = refute(Target.function(code, "candidate"), **kwargs, model=model)

    assert result.found and result.kind == "wrong_output"
    assert result.input == [12345] and (result.expected, result.actual) == ("12345", "0")
    assert result.searched["model_inputs"] > 0
    notes = result.searched["model_notes"]
    assert notes[-1] == "generator 3 found a failing input"
    first, second, third = fake_openai.requests
    prompt = first["messages"][1]["content"]
    assert "def candidate" in prompt and "def reference" in prompt and "list[int]" in prompt
    assert "NameError: name 'undefined_name' is not defined" in second["messages"][-1]["content"]
    assert "'not a list' is not a list" in third["messages"][-1]["content"]
    fake_openai.assert_complete()


def test_an_unreachable_model_costs_the_search_nothing_but_a_note(tmp_path):
    code = write(tmp_path, "needle.py", NEEDLE)
    model = OpenAIModel("fake-model", base_url="http://127.0.0.1:9/v1", max_retries=0, timeout=2)
    result = refute(
        Target.function(code, "candidate"),
        reference=Target.function(code, "reference"),
        budget=1.0,
        model=model,
    )
    assert not result.found and result.tries > 0
    assert result.searched["model_notes"][0].startswith("the model was not reached")


def test_cli_uses_the_configured_model_and_no_model_turns_it_off(tmp_path, fake_openai):
    write(tmp_path, "needle.py", NEEDLE)
    fake_openai.enqueue(AIMED)
    env = {
        **os.environ,
        "AGENTKIT_LOAD_PLUGINS": "refute",
        "AGENTKIT_MODEL": "fake-model",
    }
    args = [AGENTKIT, "refute", "needle.py", "--entry", "candidate"]
    args += ["--reference", "needle.py:reference", "--budget", "5", "--json"]
    shown = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert shown.returncode == 1, shown.stderr
    document = json.loads(shown.stdout)
    assert document["input"] == [12345]
    assert document["searched"]["model_notes"] == ["generator 1 found a failing input"]
    assert len(fake_openai.requests) == 1

    off = subprocess.run(
        [*args, "--no-model"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    assert off.returncode == 0 and "model_notes" not in json.loads(off.stdout)["searched"]
    assert len(fake_openai.requests) == 1  # --no-model asked nothing
