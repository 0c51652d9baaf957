"""agentkit-retriever (being built; see issue 5)."""
