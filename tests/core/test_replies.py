"""Reading code blocks and final answers out of model text (agentkit/replies.py)."""

from __future__ import annotations

from agentkit.replies import code_blocks, final_answer, last_code_block

REPLY = """First try:
```python
x = 1
```
Then a shell line:
```bash
echo hi
```
Final version:
```
x = 2
```
"""


def test_code_blocks_in_order_filtered_by_language_with_untagged_kept():
    assert code_blocks(REPLY) == ["x = 1\n", "echo hi\n", "x = 2\n"]
    assert code_blocks(REPLY, ("python",)) == ["x = 1\n", "x = 2\n"]
    assert last_code_block(REPLY, ("bash",)) == "x = 2\n"  # untagged counts as any language
    assert last_code_block("no code here") is None


def test_final_answer_prefers_the_last_boxed_with_nested_braces_then_an_answer_line():
    assert final_answer(r"so \boxed{1} wait, \boxed{\frac{1}{2}} done") == r"\frac{1}{2}"
    assert final_answer("Work...\nAnswer: 42\n") == "42"
    assert final_answer("**Final answer:** **x = 3**") == "x = 3"
    assert final_answer(r"unbalanced \boxed{1") is None
    assert final_answer("nothing to see") is None
    code = "```python\nanswer = (1 + 5) / 2\nprint(r'\\boxed{9}')\n```\nAnswer: 3"
    assert final_answer(code) == "3"  # what the code computes or prints is not the answer
    assert final_answer("```python\nanswer = 2\n```") is None
