"""Tests for gan_course.mnist, on small IDX files written here (no network)."""

import gzip
import shutil
import struct
from urllib.error import URLError

import pytest
import torch

from gan_course import mnist


def idx_bytes(values: torch.Tensor, type_code: int = 0x08) -> bytes:
    """Encode a uint8 tensor as an IDX file."""
    header = bytes([0, 0, type_code, values.dim()])
    header += struct.pack(f">{values.dim()}I", *values.shape)
    return header + values.flatten().numpy().tobytes()


def write_idx(path, values: torch.Tensor, type_code: int = 0x08) -> None:
    data = idx_bytes(values, type_code)
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def five_images() -> torch.Tensor:
    """Image k is filled with 50 * k, except pixel (k, 2k) which is 255."""
    images = torch.zeros(5, 28, 28, dtype=torch.uint8)
    for k in range(5):
        images[k] = 50 * k
        images[k, k, 2 * k] = 255
    return images


LABELS = torch.tensor([3, 1, 4, 1, 5], dtype=torch.uint8)


def make_split(folder, split: str = "train") -> list:
    """Write a 5-image split into ``folder``; return the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    images_name, labels_name = mnist.file_names(split)
    write_idx(folder / images_name, five_images())
    write_idx(folder / labels_name, LABELS)
    return [folder / images_name, folder / labels_name]


@pytest.fixture
def real_md5s(monkeypatch):
    """Replace the published checksums and sizes by those of the test files (call it with
    the paths)."""

    def use(kind, paths):
        for path in paths:
            monkeypatch.setitem(mnist.CHECKSUMS[kind], path.name, mnist.md5_of(path))
            monkeypatch.setitem(mnist.SIZES[kind], path.name, path.stat().st_size)

    return use


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_round_trips_plain_and_gz(tmp_path, name):
    path = tmp_path / name
    write_idx(path, five_images())
    images = mnist.read_idx(path)
    assert images.dtype == torch.uint8
    assert images.shape == (5, 28, 28)
    assert torch.equal(images, five_images())
    assert images[3, 3, 6] == 255 and images[3, 0, 0] == 150


def test_read_idx_one_dimensional(tmp_path):
    write_idx(tmp_path / "labels", LABELS)
    assert torch.equal(mnist.read_idx(tmp_path / "labels"), LABELS)


def test_read_idx_header_errors(tmp_path):
    bad_magic = tmp_path / "bad_magic"
    bad_magic.write_bytes(b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="two zero bytes"):
        mnist.read_idx(bad_magic)

    int_type = tmp_path / "int_type"
    write_idx(int_type, LABELS, type_code=0x0C)
    with pytest.raises(ValueError, match="0x0c is not supported"):
        mnist.read_idx(int_type)

    short_header = tmp_path / "short_header"
    short_header.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">I", 5))
    with pytest.raises(ValueError, match="announces 3 dimensions"):
        mnist.read_idx(short_header)


def test_read_idx_wrong_payload_length(tmp_path):
    path = tmp_path / "truncated"
    path.write_bytes(idx_bytes(five_images())[:-10])
    with pytest.raises(ValueError, match="truncated or damaged"):
        mnist.read_idx(path)


def test_load_mnist_from_local_files(tmp_path, real_md5s):
    paths = make_split(tmp_path / "mnist", "test")
    real_md5s("mnist", paths)
    images, labels = mnist.load_mnist("mnist", "test", root=tmp_path)
    assert images.shape == (5, 28, 28) and images.dtype == torch.uint8
    assert labels.dtype == torch.int64
    assert labels.tolist() == [3, 1, 4, 1, 5]
    assert torch.equal(images, five_images())


def test_root_comes_from_environment(tmp_path, monkeypatch, real_md5s):
    real_md5s("fashion", make_split(tmp_path / "fashion"))
    monkeypatch.setenv("GAN_COURSE_DATA", str(tmp_path))
    assert mnist.data_root() == tmp_path
    images, _ = mnist.load_mnist("fashion")
    assert images.shape == (5, 28, 28)


def test_wrong_size_without_download_says_how_to_fetch_again(tmp_path):
    make_split(tmp_path / "mnist")  # published sizes cannot match these tiny files
    size = (tmp_path / "mnist" / "train-images-idx3-ubyte.gz").stat().st_size
    with pytest.raises(ValueError) as caught:
        mnist.load_mnist("mnist", "train", root=tmp_path)
    message = str(caught.value)
    assert f"is {size:,} bytes, but train-images-idx3-ubyte.gz is 9,912,422" in message
    assert "download=True" in message and "delete it" in message


def test_right_size_wrong_md5_is_refused(tmp_path, monkeypatch, real_md5s):
    paths = make_split(tmp_path / "mnist")
    real_md5s("mnist", paths)
    monkeypatch.setitem(mnist.CHECKSUMS["mnist"], paths[1].name, "0" * 32)
    with pytest.raises(ValueError, match="has MD5 .* published value is 0{32}"):
        mnist.load_mnist("mnist", "train", root=tmp_path)


def test_missing_files_without_download(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        mnist.load_mnist("mnist", "train", root=tmp_path)


def test_failed_download_points_to_load_digits(tmp_path, monkeypatch):
    tried = []

    def offline(url, dest):
        tried.append(url)
        raise URLError("no network")

    monkeypatch.setattr(mnist, "_fetch", offline)
    with pytest.raises(mnist.DownloadError) as caught:
        mnist.load_mnist("mnist", "train", root=tmp_path, download=True)
    message = str(caught.value)
    assert "gan_course.digits.load_digits()" in message
    assert str(tmp_path / "mnist") in message
    assert len(tried) == len(mnist.MIRRORS["mnist"])
    assert list(tmp_path.iterdir()) == []  # no partial file, no empty mnist/ folder


def test_failed_download_removes_only_the_folders_it_made(tmp_path, monkeypatch):
    def offline(url, dest):
        dest.write_bytes(b"half a fi")  # a partial file, then the connection drops
        raise URLError("connection reset")

    monkeypatch.setattr(mnist, "_fetch", offline)
    root = tmp_path / "new" / "cache"
    with pytest.raises(mnist.DownloadError):
        mnist.load_mnist("fashion", "test", root=root, download=True)
    assert list(tmp_path.iterdir()) == []  # new/, cache/ and fashion/ were all made here

    mine = tmp_path / "mine"
    (mine / "fashion").mkdir(parents=True)
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(mnist.DownloadError):
        mnist.load_mnist("fashion", "test", root=mine, download=True)
    assert sorted(p.name for p in mine.iterdir()) == ["fashion", "notes.txt"]
    assert list((mine / "fashion").iterdir()) == []


def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(url, dest):
        dest.write_bytes(b"part")
        raise KeyboardInterrupt

    monkeypatch.setattr(mnist, "_fetch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        mnist.load_mnist("mnist", "test", root=tmp_path / "cache", download=True)
    assert list(tmp_path.iterdir()) == []


def test_https_mirrors_are_tried_before_http(monkeypatch):
    monkeypatch.setitem(mnist.MIRRORS, "mnist", [
        "http://a.example/", "https://b.example/", "http://c.example/", "https://d.example/"])
    assert mnist.mirror_order("mnist") == [
        "https://b.example/", "https://d.example/", "http://a.example/", "http://c.example/"]
    for kind in mnist.KINDS:
        order = mnist.mirror_order(kind)
        assert order[0].startswith("https://") and sorted(order) == sorted(mnist.MIRRORS[kind])


def test_damaged_cached_file_is_fetched_again_with_download(tmp_path, monkeypatch, real_md5s,
                                                            capsys):
    source = tmp_path / "server"
    real_md5s("mnist", make_split(source, "test"))
    cache = tmp_path / "cache" / "mnist"
    cache.mkdir(parents=True)
    images_name, labels_name = mnist.file_names("test")
    whole = (source / images_name).read_bytes()
    (cache / images_name).write_bytes(whole[: len(whole) // 2])  # cut short earlier
    shutil.copyfile(source / labels_name, cache / labels_name)
    fetched = []

    def copy_from_server(url, dest):
        fetched.append(url.rsplit("/", 1)[1])
        shutil.copyfile(source / url.rsplit("/", 1)[1], dest)

    monkeypatch.setattr(mnist, "_fetch", copy_from_server)
    images, labels = mnist.load_mnist("mnist", "test", root=tmp_path / "cache", download=True)
    assert fetched == [images_name]  # the good labels file is kept
    assert torch.equal(images, five_images()) and labels.tolist() == [3, 1, 4, 1, 5]
    assert (cache / images_name).read_bytes() == whole
    assert "Downloading it again" in capsys.readouterr().out
    assert sorted(p.name for p in cache.iterdir()) == [images_name, labels_name]


def test_download_of_the_wrong_size_is_refused(tmp_path, monkeypatch, real_md5s):
    source = tmp_path / "server"
    paths = make_split(source)
    real_md5s("mnist", paths)

    def one_byte_short(url, dest):
        dest.write_bytes((source / url.rsplit("/", 1)[1]).read_bytes()[:-1])

    monkeypatch.setattr(mnist, "_fetch", one_byte_short)
    with pytest.raises(mnist.DownloadError) as caught:
        mnist.load_mnist("mnist", "train", root=tmp_path / "cache", download=True)
    message = str(caught.value)
    expected = paths[0].stat().st_size
    assert f"is {expected - 1:,} bytes, but train-images-idx3-ubyte.gz is {expected:,}" in message
    assert message.count("cut short") == len(mnist.MIRRORS["mnist"])
    assert not (tmp_path / "cache").exists()


def test_published_sizes_and_checksums_cover_the_same_files():
    for kind in mnist.KINDS:
        names = {name for split in mnist.SPLITS for name in mnist.file_names(split)}
        assert set(mnist.SIZES[kind]) == set(mnist.CHECKSUMS[kind]) == names
    # an image file is bigger than its labels, the training split bigger than the test split
    for kind in mnist.KINDS:
        sizes = mnist.SIZES[kind]
        assert sizes["train-images-idx3-ubyte.gz"] > sizes["t10k-images-idx3-ubyte.gz"]
        assert sizes["t10k-images-idx3-ubyte.gz"] > sizes["train-labels-idx1-ubyte.gz"]


def test_successful_fake_download(tmp_path, monkeypatch, real_md5s):
    source = tmp_path / "server"
    real_md5s("fashion", make_split(source))
    fetched = []

    def copy_from_server(url, dest):
        fetched.append(url)
        shutil.copyfile(source / url.rsplit("/", 1)[1], dest)

    monkeypatch.setattr(mnist, "_fetch", copy_from_server)
    root = tmp_path / "cache"
    images, labels = mnist.load_mnist("fashion", "train", root=root, download=True)
    assert images.shape == (5, 28, 28) and labels.tolist() == [3, 1, 4, 1, 5]
    assert len(fetched) == 2
    assert all(url.startswith(mnist.mirror_order("fashion")[0]) for url in fetched)
    assert sorted(p.name for p in (root / "fashion").iterdir()) == sorted(mnist.file_names("train"))


def test_download_skips_a_mirror_with_a_bad_copy(tmp_path, monkeypatch, real_md5s):
    source = tmp_path / "server"
    real_md5s("mnist", make_split(source))

    def first_mirror_is_corrupt(url, dest):
        if url.startswith(mnist.mirror_order("mnist")[0]):
            dest.write_bytes(b"not the file")
        else:
            shutil.copyfile(source / url.rsplit("/", 1)[1], dest)

    monkeypatch.setattr(mnist, "_fetch", first_mirror_is_corrupt)
    images, _ = mnist.load_mnist("mnist", "train", root=tmp_path / "cache", download=True)
    assert torch.equal(images, five_images())


def test_unknown_kind_and_split(tmp_path):
    with pytest.raises(ValueError, match="choose one of mnist, fashion"):
        mnist.load_mnist("cifar", root=tmp_path)
    with pytest.raises(ValueError, match="choose one of train, test"):
        mnist.load_mnist("mnist", "valid", root=tmp_path)


def test_to_gan_range_shape_and_values():
    x = mnist.to_gan_range(five_images())
    assert x.shape == (5, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert x[1, 0, 0, 0].item() == pytest.approx(50 / 127.5 - 1)


def test_to_gan_range_rejects_floats():
    with pytest.raises(ValueError, match="uint8"):
        mnist.to_gan_range(torch.zeros(2, 28, 28))
