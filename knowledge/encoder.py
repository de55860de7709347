"""Multilingual sentence embeddings: Universal Sentence Encoder Multilingual v3 (quantized ONNX).

The model's tokenizer is inside the ONNX graph as an onnxruntime-extensions custom op, so the
session takes raw strings: input ``inputs`` (string tensor, batch), output ``outputs`` (batch x
512). One encoder is loaded per process and shared; ``embed`` is synchronous (callers run it in
a thread) and serialised by a lock, so at most ``threads`` cores are spent on embeddings at once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import onnxruntime_extensions

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_RELATIVE_PATH",
    "EncoderError",
    "SentenceEncoder",
    "default_model_path",
]

EMBEDDING_DIM = 512
# Where the installer puts the model under the models directory.
MODEL_RELATIVE_PATH = Path("use-multilingual") / "embedding_model_quantized.onnx"
_INPUT_NAME = "inputs"
_OUTPUT_NAME = "outputs"


class EncoderError(RuntimeError):
    """The sentence encoder could not be loaded or could not embed."""


def default_model_path(models_dir: Path) -> Path:
    return models_dir / MODEL_RELATIVE_PATH


class SentenceEncoder:
    """Text -> float32 (n, 512) L2-normalised vectors; thread-safe."""

    def __init__(self, model_path: Path, *, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError("threads must be >= 1")
        if not model_path.is_file():
            raise EncoderError(
                f"sentence encoder model not found at {model_path}; install the models "
                f"(it is {MODEL_RELATIVE_PATH} under the models directory)"
            )
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # errors reach us as exceptions; keep stderr quiet
        # Idle worker threads must not spin on a box shared with Whisper and piper.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            options.register_custom_ops_library(onnxruntime_extensions.get_library_path())
            self._session = ort.InferenceSession(
                str(model_path), options, providers=["CPUExecutionProvider"]
            )
        except Exception as e:  # onnxruntime raises several unrelated types
            raise EncoderError(f"cannot load sentence encoder {model_path}: {e}") from e
        inputs = [i.name for i in self._session.get_inputs()]
        outputs = [o.name for o in self._session.get_outputs()]
        if inputs != [_INPUT_NAME] or _OUTPUT_NAME not in outputs:
            raise EncoderError(
                f"{model_path} is not the expected sentence encoder "
                f"(inputs {inputs}, outputs {outputs})"
            )
        self.model_path = model_path
        self.threads = threads
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of strings, not one string")
        if not texts:  # the graph fails on an empty batch
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        batch = np.array([str(t) for t in texts], dtype=object)
        try:
            with self._lock:
                (vectors,) = self._session.run([_OUTPUT_NAME], {_INPUT_NAME: batch})
        except Exception as e:
            raise EncoderError(f"sentence encoder failed on {len(texts)} texts: {e}") from e
        matrix: np.ndarray = np.asarray(vectors, dtype=np.float32)
        if matrix.shape != (len(texts), EMBEDDING_DIM):
            raise EncoderError(f"sentence encoder returned shape {matrix.shape}")
        normalised: np.ndarray = matrix / np.maximum(
            np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12
        )
        return normalised
