"""Save and load model weights, and the small pretrained weights shipped with the course
(lessons 02-07 and 10 load those through each model's ``from_pretrained``;
``tools/train_weights.py`` writes them, and ``mnist.py`` checks its downloads with ``file_digest``).

A checkpoint is a file holding ``{"state_dict": ..., "meta": {...}}``. Every file is
identified by its SHA-256 digest, so a damaged or swapped file is caught before it is used.

Shipped weights live in ``gan_course/weights/`` next to ``MANIFEST.json``, which maps a name
to the file, its digest, its size and the command that made it::

    from gan_course.checkpoints import load_pretrained

    checkpoint = load_pretrained("some-name")
    model.load_state_dict(checkpoint["state_dict"])
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import torch

MANIFEST_NAME = "MANIFEST.json"
_RESERVED_KEYS = ("file", "sha256", "bytes", "made_by")


# What to do when a shipped file or the manifest is missing or damaged: the package (or the
# clone) is incomplete, and only a fresh copy of gan_course/weights/ repairs it.
REINSTALL_HINT = (
    "Reinstall the package (pip install --force-reinstall gan-course); in a clone of the "
    "repository, restore the folder with: git checkout -- gan_course/weights"
)


class ChecksumError(ValueError):
    """A file's SHA-256 digest is not the expected one."""


class ManifestError(RuntimeError):
    """``weights/MANIFEST.json`` is missing, is not JSON, or has an unusable entry."""


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file with ``hashlib``'s ``algorithm``, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_of(path: str | Path) -> str:
    """SHA-256 hex digest of a file."""
    return file_digest(path, "sha256")


def _to_cpu(value: object) -> object:
    """Copy of ``value`` with every tensor (also inside dicts, lists, tuples) moved to the CPU."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {key: _to_cpu(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_cpu(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_to_cpu(item) for item in value)
    return value


def save_checkpoint(state_dict: dict, path: str | Path, **meta: object) -> str:
    """Save ``{"state_dict": state_dict, "meta": meta}`` to ``path``; return its SHA-256.

    Tensors are moved to the CPU first, so the file loads on any machine. Keep ``meta`` to
    plain values (numbers, strings, lists, dicts) so that it loads with ``weights_only=True``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": _to_cpu(state_dict), "meta": dict(meta)}, path)
    return sha256_of(path)


def load_checkpoint(
    path: str | Path,
    sha256: str | None = None,
    map_location: str | torch.device | None = None,
) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint`.

    When ``sha256`` is given, the file's digest must match it, otherwise ``ChecksumError``.
    ``map_location`` (e.g. "cpu") says where the tensors go. Returns the saved dict with
    keys "state_dict" and "meta".
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No checkpoint at {path}. Check the path, or train and save one.")
    if sha256 is not None:
        actual = sha256_of(path)
        if actual != sha256.lower():
            raise ChecksumError(
                f"{path} is damaged or is not the expected file: its sha256 starts "
                f"{actual[:12]} but should start {sha256.lower()[:12]}. Reinstall the package "
                "(pip install --force-reinstall gan-course) or re-run the project's training "
                "command to make the file again."
            )
    return torch.load(path, map_location=map_location, weights_only=True)


def weights_dir() -> Path:
    """The folder of the shipped weights, ``gan_course/weights/``."""
    return Path(__file__).resolve().parent / "weights"


def read_manifest(missing_ok: bool = False) -> dict:
    """The contents of ``weights/MANIFEST.json``: {name: {"file", "sha256", "bytes", ...}}.

    A missing file is ``ManifestError`` (or ``{}`` with ``missing_ok=True``, which
    ``register_weights`` uses to start a new manifest); so is a file that is not a JSON object.
    """
    manifest_path = weights_dir() / MANIFEST_NAME
    if not manifest_path.is_file():
        if missing_ok:
            return {}
        raise ManifestError(
            f"The list of shipped weights, {manifest_path}, is missing, so no pretrained "
            f"model can be loaded. The installation is incomplete. {REINSTALL_HINT}."
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ManifestError(
            f"{manifest_path} is damaged: it is not valid JSON ({error}). {REINSTALL_HINT}."
        ) from None
    if not isinstance(manifest, dict):
        raise ManifestError(
            f"{manifest_path} is damaged: it should hold a JSON object (name -> entry), "
            f"not a {type(manifest).__name__}. {REINSTALL_HINT}."
        )
    return manifest


def _checked_entry(name: str, entry: object) -> dict:
    """``entry`` from the manifest if it names a file in the weights folder and a sha256."""
    where = f"{MANIFEST_NAME}'s entry {name!r}"
    if not isinstance(entry, dict):
        raise ManifestError(f"{where} is not a JSON object. {REINSTALL_HINT}.")
    file_name = entry.get("file")
    if not isinstance(file_name, str) or not file_name or Path(file_name).name != file_name:
        raise ManifestError(
            f"{where} has no usable \"file\" (a file name inside {weights_dir()}): "
            f"{file_name!r}. {REINSTALL_HINT}."
        )
    digest = entry.get("sha256")
    is_hex = isinstance(digest, str) and all(c in "0123456789abcdefABCDEF" for c in digest)
    if not is_hex or len(digest) != 64:
        raise ManifestError(
            f"{where} has no valid \"sha256\" (64 hex digits), so {file_name} cannot be "
            f"checked and is not loaded. {REINSTALL_HINT}."
        )
    return entry


def _write_manifest(manifest: dict) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (weights_dir() / MANIFEST_NAME).write_text(text, encoding="utf-8")


def register_weights(name: str, file_path: str | Path, made_by: str, **meta: object) -> dict:
    """Add (or replace) the entry ``name`` in MANIFEST.json and return that entry.

    The file is copied into ``weights_dir()`` unless it is already there. ``made_by`` is the
    command that recreates the file; any extra ``meta`` is stored as given.
    """
    if not name:
        raise ValueError("register_weights needs a non-empty name.")
    clashes = [key for key in meta if key in _RESERVED_KEYS]
    if clashes:
        raise ValueError(f"{clashes} are filled in by register_weights; rename those meta keys.")
    source = Path(file_path).resolve()
    if not source.is_file():
        raise FileNotFoundError(f"No file at {source} to register as {name!r}.")
    folder = weights_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    if source != target.resolve():
        shutil.copyfile(source, target)
    entry = {
        "file": target.name,
        "sha256": sha256_of(target),
        "bytes": target.stat().st_size,
        "made_by": made_by,
    }
    entry.update(meta)
    manifest = read_manifest(missing_ok=True)
    manifest[name] = entry
    _write_manifest(manifest)
    return entry


def load_pretrained(name: str, map_location: str | torch.device = "cpu") -> dict:
    """Load the shipped weights called ``name``, after checking their size and SHA-256 digest.

    Returns the checkpoint dict with keys "state_dict" and "meta". A missing or damaged
    manifest is ``ManifestError``, a missing file ``FileNotFoundError``, a file of the wrong
    size or digest ``ChecksumError``; each message says how to get the files back.
    """
    manifest = read_manifest()
    if name not in manifest:
        available = ", ".join(sorted(manifest)) or "(none yet)"
        raise ValueError(f"No shipped weights named {name!r}. Available: {available}.")
    entry = _checked_entry(name, manifest[name])
    path = weights_dir() / entry["file"]
    made_by = entry.get("made_by", "the project's training command")
    if not path.is_file():
        raise FileNotFoundError(
            f"MANIFEST.json lists {name!r} as {path}, but the file is missing. "
            f"{REINSTALL_HINT}; or make it again with: {made_by}"
        )
    expected_bytes = entry.get("bytes")
    actual_bytes = path.stat().st_size
    if isinstance(expected_bytes, int) and actual_bytes != expected_bytes:
        raise ChecksumError(
            f"{path} is {actual_bytes:,} bytes but should be {expected_bytes:,}: it is "
            f"truncated or is not the shipped file. {REINSTALL_HINT}; or make it again "
            f"with: {made_by}"
        )
    try:
        return load_checkpoint(path, sha256=entry["sha256"], map_location=map_location)
    except ChecksumError as error:
        raise ChecksumError(f"{error} The command that made it: {made_by}") from None
