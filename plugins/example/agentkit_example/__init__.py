"""A minimal third-party agentkit plugin: copy this folder to start your own.

It registers one tool through the ``agentkit`` entry-point group, exactly as a
plugin from PyPI would.
"""

from __future__ import annotations

import re

import agentkit


@agentkit.tool
def word_stats(text: str, top: int = 3) -> dict[str, object]:
    """Count the words, lines and characters of a text, and its most frequent words.

    :param text: the text to measure
    :param top: how many of the most frequent words to list
    """
    words = re.findall(r"[\w']+", text.lower())
    counts: dict[str, int] = {}
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: max(top, 0)]
    return {
        "words": len(words),
        "lines": len(text.splitlines()),
        "characters": len(text),
        "most_common": [[word, n] for word, n in ranked],
    }


@agentkit.hookimpl
def register_tools(register):
    register(word_stats)
