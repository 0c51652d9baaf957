"""agentkit-solver (being built; see issue 5)."""
