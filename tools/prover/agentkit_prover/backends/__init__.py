"""Proof backends, one per module; each module defines ``BACKEND`` (see :mod:`..backend`)."""
