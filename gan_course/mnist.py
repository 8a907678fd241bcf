"""Real MNIST and Fashion-MNIST, for learners who have an internet connection (optional).
No lesson needs it: lesson 02 points to it for the full 70,000 digits of 28 x 28, and a
learner who wants more than the shipped 16 x 16 digits in the image lessons (02 to 07)
can start from it.

Nothing here runs unless you ask for it: the course itself works offline with the small
UCI handwritten digits in ``gan_course.digits.load_digits()``. To use the full data sets::

    from gan_course.mnist import load_mnist, to_gan_range

    images, labels = load_mnist("mnist", "train", download=True)  # (60000, 28, 28) uint8
    x = to_gan_range(images)                                       # (60000, 1, 28, 28) in [-1, 1]

Files are kept in ``<root>/<kind>/`` where ``root`` is the ``root`` argument, else the
``GAN_COURSE_DATA`` environment variable, else ``~/.cache/gan_course``. Every file is
checked against its published size and MD5, after download and on every load; with
``download=True`` a damaged file in the cache is fetched again. HTTPS mirrors are tried first.

The files use the IDX format: two zero bytes, a type code (0x08 means uint8), the number of
dimensions, then each dimension as a big-endian 32-bit integer, then the values.
"""

from __future__ import annotations

import gzip
import os
import struct
import urllib.request
from http.client import HTTPException
from pathlib import Path

import torch

from gan_course.checkpoints import file_digest

KINDS = ("mnist", "fashion")
SPLITS = ("train", "test")

# File name prefix of each split in the original distribution.
_SPLIT_PREFIX = {"train": "train", "test": "t10k"}

# MD5 of each file as published with the data sets (torchvision uses the same values).
CHECKSUMS = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

# Size in bytes of each file as the mirrors serve it (the same files the MD5s describe; Keras
# and TensorFlow's MNIST downloaders print these sizes). A wrong size is a cut-short download.
SIZES = {
    "mnist": {
        "train-images-idx3-ubyte.gz": 9_912_422,
        "train-labels-idx1-ubyte.gz": 28_881,
        "t10k-images-idx3-ubyte.gz": 1_648_877,
        "t10k-labels-idx1-ubyte.gz": 4_542,
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": 26_421_880,
        "train-labels-idx1-ubyte.gz": 29_515,
        "t10k-images-idx3-ubyte.gz": 4_422_102,
        "t10k-labels-idx1-ubyte.gz": 5_148,
    },
}

# Places that serve the files. ``mirror_order`` tries every https:// one before any plain
# http:// one (kept as a last resort: the size and MD5 checks still decide what is kept).
MIRRORS = {
    "mnist": [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ],
    "fashion": [
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
}

DOWNLOAD_TIMEOUT_S = 30
_UINT8_CODE = 0x08


class DownloadError(RuntimeError):
    """Every mirror failed; the message says how to carry on without the download."""


def read_idx(path: str | Path) -> torch.Tensor:
    """Read an IDX file (plain, or gzip-compressed when the name ends in ``.gz``).

    Returns a uint8 tensor whose shape is the dimensions stored in the header, for example
    (N, 28, 28) for an image file and (N,) for a label file.
    """
    path = Path(path)
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as f:
            raw = f.read()
    else:
        raw = path.read_bytes()
    shape, header_size = _parse_idx_header(raw, path)
    expected = 1
    for size in shape:
        expected *= size
    payload = raw[header_size:]
    if len(payload) != expected:
        raise ValueError(
            f"{path}: the header promises shape {shape} ({expected} bytes of data) but the "
            f"file holds {len(payload)} bytes. The file is truncated or damaged: delete it "
            "and download it again."
        )
    return torch.frombuffer(bytearray(payload), dtype=torch.uint8).reshape(shape)


def _parse_idx_header(raw: bytes, path: Path) -> tuple[tuple[int, ...], int]:
    """Check the IDX magic number; return the dimensions and the header length in bytes."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{path} is not an IDX file: it should start with two zero bytes. "
            "Check that you picked the right file (e.g. train-images-idx3-ubyte.gz)."
        )
    type_code, n_dims = raw[2], raw[3]
    if type_code != _UINT8_CODE:
        raise ValueError(
            f"{path}: IDX type code 0x{type_code:02x} is not supported; only 0x08 (uint8), "
            "the type MNIST and Fashion-MNIST use, can be read here."
        )
    if n_dims == 0:
        raise ValueError(f"{path}: the IDX header says the data has 0 dimensions.")
    header_size = 4 + 4 * n_dims
    if len(raw) < header_size:
        raise ValueError(
            f"{path}: the IDX header announces {n_dims} dimensions but the file ends "
            "before listing them all. Delete the file and download it again."
        )
    shape = struct.unpack(f">{n_dims}I", raw[4:header_size])
    return shape, header_size


def data_root(root: str | Path | None = None) -> Path:
    """The cache folder: ``root`` if given, else ``$GAN_COURSE_DATA``, else ~/.cache/gan_course."""
    if root is not None:
        return Path(root).expanduser()
    from_env = os.environ.get("GAN_COURSE_DATA")
    if from_env:
        return Path(from_env).expanduser()
    return Path.home() / ".cache" / "gan_course"


def file_names(split: str) -> tuple[str, str]:
    """The (images, labels) file names of a split, e.g. ('t10k-images-idx3-ubyte.gz', ...)."""
    _check_choice("split", split, SPLITS)
    prefix = _SPLIT_PREFIX[split]
    return f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"


def md5_of(path: str | Path) -> str:
    """MD5 hex digest of a file (the checksums the data sets were published with)."""
    return file_digest(path, "md5")


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"Unknown {what} {value!r}; choose one of {', '.join(choices)}.")


def mirror_order(kind: str) -> list[str]:
    """The mirrors of ``kind``: every https:// address first, in ``MIRRORS`` order."""
    _check_choice("kind", kind, KINDS)
    secure = [url for url in MIRRORS[kind] if url.startswith("https://")]
    return secure + [url for url in MIRRORS[kind] if not url.startswith("https://")]


def check_file(path: Path, kind: str, name: str) -> None:
    """Raise ``ValueError`` unless ``path`` has the published size and MD5 of ``name``."""
    expected_size = SIZES[kind][name]
    size = path.stat().st_size
    if size != expected_size:
        raise ValueError(
            f"{path} is {size:,} bytes, but {name} is {expected_size:,}: the download was "
            "cut short or the file is not the original."
        )
    actual, expected = md5_of(path), CHECKSUMS[kind][name]
    if actual != expected:
        raise ValueError(
            f"{path} has MD5 {actual}, but the published value is {expected}: the file is "
            "damaged or is not the original."
        )


def _fetch(url: str, dest: Path) -> None:
    """Copy ``url`` into the file ``dest``. Tests replace this function to stay offline."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        with open(dest, "wb") as f:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                f.write(chunk)


def _download(kind: str, name: str, dest: Path) -> None:
    """Try each mirror in turn (https first); keep the first copy of the right size and MD5.

    On failure nothing is left behind: no partial file, and no folder this call created.
    """
    created = [folder for folder in [dest.parent, *dest.parent.parents] if not folder.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    failures = []
    try:
        for url in (mirror + name for mirror in mirror_order(kind)):
            try:
                _fetch(url, partial)
                check_file(partial, kind, name)
            except (OSError, HTTPException, ValueError) as error:
                failures.append(f"  {url}: {error}")
                partial.unlink(missing_ok=True)
                continue
            partial.replace(dest)
            return
    finally:
        partial.unlink(missing_ok=True)
        if not dest.exists():
            for folder in created:  # deepest first; stop at the first one that holds files
                if any(folder.iterdir()):
                    break
                folder.rmdir()
    raise DownloadError(
        f"Could not download {name} for {kind!r}; every mirror failed:\n"
        + "\n".join(failures)
        + "\nWorking offline? The course's offline data set is "
        "gan_course.digits.load_digits() (the UCI handwritten digits shipped with the course). "
        f"Or download {name} yourself and put it in {dest.parent}/"
    )


def load_mnist(
    kind: str = "mnist",
    split: str = "train",
    root: str | Path | None = None,
    download: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load MNIST (``kind="mnist"``) or Fashion-MNIST (``kind="fashion"``).

    ``split`` is "train" (60 000 images) or "test" (10 000). Missing files are fetched only
    when ``download=True``, which also fetches again a cached file whose size or MD5 is wrong
    (a download cut short earlier). Returns images (N, 28, 28) uint8 and labels (N,) int64.
    """
    _check_choice("kind", kind, KINDS)
    folder = data_root(root) / kind
    paths = []
    for name in file_names(split):
        path = folder / name
        if not path.exists():
            if not download:
                raise FileNotFoundError(
                    f"{path} does not exist. Pass download=True to fetch it, or put the file "
                    "there yourself. Offline? Use gan_course.digits.load_digits() instead."
                )
            _download(kind, name, path)
        try:
            check_file(path, kind, name)
        except ValueError as damage:
            if not download:
                raise ValueError(
                    f"{damage} Run again with download=True to fetch it afresh (or delete it)."
                ) from None
            print(f"{damage} Downloading it again.")
            _download(kind, name, path)
        paths.append(path)
    images = read_idx(paths[0])
    labels = read_idx(paths[1]).long()
    if images.dim() != 3 or labels.dim() != 1 or len(images) != len(labels):
        raise ValueError(
            f"{folder}: expected images (N, H, W) and labels (N,), got {tuple(images.shape)} "
            f"and {tuple(labels.shape)}. Delete the files and download them again."
        )
    return images, labels


def to_gan_range(images: torch.Tensor) -> torch.Tensor:
    """Map uint8 images (N, H, W) to floats (N, 1, H, W) in [-1, 1], as x / 127.5 - 1.

    [-1, 1] matches a generator whose last layer is tanh.
    """
    if images.dtype != torch.uint8 or images.dim() != 3:
        raise ValueError(
            f"to_gan_range expects uint8 images of shape (N, H, W); got dtype {images.dtype} "
            f"and shape {tuple(images.shape)}. Pass the images load_mnist returns."
        )
    return (images.float() / 127.5 - 1.0).unsqueeze(1)
