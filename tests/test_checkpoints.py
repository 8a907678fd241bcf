"""Tests for gan_course.checkpoints, in temporary folders."""

import json

import pytest
import torch

from gan_course import checkpoints
from gan_course.checkpoints import ChecksumError, load_checkpoint, save_checkpoint, sha256_of


def small_state() -> dict:
    torch.manual_seed(0)
    return torch.nn.Linear(3, 2).state_dict()


@pytest.fixture
def weights_folder(tmp_path, monkeypatch):
    folder = tmp_path / "weights"
    folder.mkdir()
    (folder / "MANIFEST.json").write_text("{}\n")
    monkeypatch.setattr(checkpoints, "weights_dir", lambda: folder)
    return folder


def test_round_trip_keeps_tensors_and_meta(tmp_path):
    state = small_state()
    path = tmp_path / "sub" / "g.pt"
    digest = save_checkpoint(state, path, epochs=3, made_by="make train")
    assert digest == sha256_of(path) and len(digest) == 64
    loaded = load_checkpoint(path, sha256=digest)
    assert loaded["meta"] == {"epochs": 3, "made_by": "make train"}
    assert loaded["state_dict"].keys() == state.keys()
    for key in state:
        assert torch.equal(loaded["state_dict"][key], state[key])


def test_map_location_cpu(tmp_path):
    path = tmp_path / "g.pt"
    save_checkpoint(small_state(), path)
    loaded = load_checkpoint(path, map_location="cpu")
    assert all(t.device.type == "cpu" for t in loaded["state_dict"].values())


def test_flipped_byte_is_caught(tmp_path):
    path = tmp_path / "g.pt"
    digest = save_checkpoint(small_state(), path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError) as caught:
        load_checkpoint(path, sha256=digest)
    message = str(caught.value)
    assert str(path) in message
    assert digest[:12] in message and sha256_of(path)[:12] in message
    assert "Reinstall" in message and "training" in message
    assert isinstance(caught.value, ValueError)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")


def test_register_and_load_pretrained(tmp_path, weights_folder):
    source = tmp_path / "dcgan_digits.pt"
    save_checkpoint(small_state(), source, epochs=5)
    entry = checkpoints.register_weights(
        "dcgan-digits", source, made_by="python -m tools.train dcgan", epochs=5
    )
    assert (weights_folder / "dcgan_digits.pt").is_file()
    assert entry["sha256"] == sha256_of(source)
    assert entry["bytes"] == source.stat().st_size

    text = (weights_folder / "MANIFEST.json").read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert checkpoints.read_manifest()["dcgan-digits"]["made_by"] == "python -m tools.train dcgan"

    loaded = checkpoints.load_pretrained("dcgan-digits", map_location="cpu")
    assert loaded["meta"] == {"epochs": 5}
    assert torch.equal(loaded["state_dict"]["weight"], small_state()["weight"])


def test_register_keeps_a_file_already_in_place(weights_folder):
    path = weights_folder / "g.pt"
    save_checkpoint(small_state(), path)
    entry = checkpoints.register_weights("g", path, made_by="make g")
    assert entry["file"] == "g.pt"
    assert sorted(p.name for p in weights_folder.iterdir()) == ["MANIFEST.json", "g.pt"]


def test_corrupted_pretrained_names_the_command(weights_folder):
    path = weights_folder / "g.pt"
    save_checkpoint(small_state(), path)
    checkpoints.register_weights("g", path, made_by="make g")
    path.write_bytes(path.read_bytes() + b"extra")
    with pytest.raises(ChecksumError, match="make g"):
        checkpoints.load_pretrained("g")


def test_unknown_name_lists_available(weights_folder):
    with pytest.raises(ValueError, match=r"none yet"):
        checkpoints.load_pretrained("missing")
    path = weights_folder / "b.pt"
    save_checkpoint(small_state(), path)
    checkpoints.register_weights("beta", path, made_by="x")
    checkpoints.register_weights("alpha", path, made_by="x")
    with pytest.raises(ValueError, match="Available: alpha, beta"):
        checkpoints.load_pretrained("gamma")


def test_listed_but_missing_file(weights_folder):
    path = weights_folder / "g.pt"
    save_checkpoint(small_state(), path)
    checkpoints.register_weights("g", path, made_by="make g")
    path.unlink()
    with pytest.raises(FileNotFoundError, match="make g"):
        checkpoints.load_pretrained("g")


def test_shipped_manifest_is_valid_json():
    assert isinstance(checkpoints.read_manifest(), dict)
