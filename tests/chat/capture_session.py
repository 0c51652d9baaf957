"""Record a short ``agentkit chat`` session for the docs: ``docs/chat-session.svg`` and
``docs/chat-session.txt``.

It drives the real command in a pseudo-terminal, against the fake OpenAI server
(scripted replies) and the real sandboxed kernel, and saves the screen with the
chat's own ``/save FILE.svg`` / ``/save FILE.txt``. Run it from the repository root::

    .venv/bin/python tests/chat/capture_session.py [OUTPUT_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pexpect
from chat_helpers import AGENTKIT, Screen

from agentkit.testing import FakeOpenAIServer, Reply, ToolCallSpec

SIEVE = """\
sieve = [True] * 10_000
sieve[0] = sieve[1] = False
for n in range(2, 100):
    if sieve[n]:
        sieve[n * n :: n] = [False] * len(sieve[n * n :: n])
sum(sieve)"""

PLAN = {
    "steps": [
        {
            "id": "primes",
            "tool": "python",
            "args": {"code": "from sympy import prime\n[prime(k) for k in range(1, 101)][-1]"},
        },
        {
            "id": "total",
            "tool": "python",
            "args": {"code": "from sympy import primerange\nsum(list(primerange(2, 542)))"},
        },
        {
            "id": "check",
            "tool": "python",
            "args": {"code": "from sympy import isprime\nisprime(${total.result})"},
        },
    ]
}


def script(server: FakeOpenAIServer) -> None:
    server.enqueue(
        Reply(
            content="I'll count them with a sieve.",
            tool_calls=[ToolCallSpec("python", {"code": SIEVE})],
        ),
        "There are **1229** primes below 10,000 (the sieve kept 1229 of the numbers).",
        Reply(tool_calls=[ToolCallSpec("make_plan", PLAN)]),
        Reply(
            tool_calls=[
                ToolCallSpec(
                    "final_answer",
                    {"answer": "24133 (the 100th prime is 541); 24133 is itself prime."},
                )
            ]
        ),
    )


def main(output: Path) -> None:
    output.mkdir(parents=True, exist_ok=True)
    with FakeOpenAIServer() as server, tempfile.TemporaryDirectory() as home:
        script(server)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTKIT_", "OPENAI_"))}
        env.update(
            OPENAI_BASE_URL=server.base_url,
            OPENAI_API_KEY="sk-local",
            AGENTKIT_HOME=home,
            AGENTKIT_LOAD_PLUGINS="kernel,solver",
            AGENTKIT_MODEL="qwen2.5-coder",
            TERM="xterm-256color",
            PROMPT_TOOLKIT_NO_CPR="1",
        )
        server.models.append("qwen2.5-coder")
        child = pexpect.spawn(
            str(AGENTKIT),
            ["chat", "-T", "python"],
            env=env,
            dimensions=(50, 92),
            encoding="utf-8",
            timeout=60,
        )
        screen = Screen(child)
        screen.prompt()
        screen.enter("How many primes are there below 10,000?")
        screen.expect("always for this session")
        screen.type("a")
        screen.expect("1229 primes")
        screen.prompt()
        screen.enter("/solve What is the sum of the first 100 primes, and is it prime?")
        screen.expect("itself prime")
        screen.prompt()
        screen.enter("/verify 24133")
        screen.expect("verified")
        screen.prompt()
        for suffix in (".svg", ".txt"):
            screen.enter(f"/save {output / ('chat-session' + suffix)}")
            screen.expect("saved")
            screen.prompt()
        screen.exit()
    print(f"wrote {output / 'chat-session.svg'} and {output / 'chat-session.txt'}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs"))
