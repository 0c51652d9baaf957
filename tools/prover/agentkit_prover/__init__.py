"""agentkit-prover (being built; see issue 5)."""
