"""agentkit-refute (being built; see issue 6)."""
