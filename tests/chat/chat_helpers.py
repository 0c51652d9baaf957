"""Driving a spawned ``agentkit chat`` in a pseudo-terminal: what it drew, and the keys."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pexpect

AGENTKIT = Path(sys.executable).parent / "agentkit"
# CSI and OSC sequences, charset and keypad switches: what a terminal draws with.
ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]|\x1b[=>78]"
)
PROMPT = "\u276f"
ROWS, COLUMNS = 40, 110


class Screen:
    """A spawned ``agentkit chat``: what it drew (escape codes removed), and the keyboard."""

    def __init__(self, child: pexpect.spawn) -> None:
        self.child = child
        self.raw = ""
        self.position = 0

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)

    def expect(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Wait for ``pattern`` after the previous match; fail with the screen's tail."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            found = regex.search(self.text, self.position)
            if found:
                self.position = found.end()
                return found
            left = deadline - time.monotonic()
            alive = left > 0 and self._read(min(0.2, left))
            if not alive and (left <= 0 or not self.child.isalive()):
                tail = self.text[-2500:]
                raise AssertionError(f"{pattern!r} did not appear; the screen ends:\n{tail}")

    def _read(self, timeout: float) -> bool:
        try:
            self.raw += self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        return True

    def prompt(self, timeout: float = 30.0) -> None:
        """Wait until the prompt is back (and so ready for keys)."""
        self.expect(PROMPT, timeout)
        time.sleep(0.1)  # the prompt is drawn just before the terminal goes raw

    def type(self, text: str) -> None:
        self.child.send(text)

    def enter(self, text: str = "") -> None:
        self.child.send(text + "\r")

    def exit(self, timeout: float = 30.0) -> int:
        """Ctrl-D, then the exit status."""
        self.child.sendcontrol("d")
        return self.wait(timeout)

    def wait(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while self.child.isalive() and time.monotonic() < deadline:
            self._read(0.2)
        self.child.close(force=True)
        assert self.child.exitstatus is not None, "agentkit chat did not exit in time"
        return int(self.child.exitstatus)
