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


# A damaged installation: every manifest problem names the fix (reinstall, or restore the clone).
REINSTALL = "pip install --force-reinstall gan-course"
CLONE = "git checkout -- gan_course/weights"


def registered(weights_folder) -> dict:
    """Register one small checkpoint as "g"; return the manifest as written."""
    path = weights_folder / "g.pt"
    save_checkpoint(small_state(), path)
    checkpoints.register_weights("g", path, made_by="make g")
    return json.loads((weights_folder / "MANIFEST.json").read_text())


def test_missing_manifest_says_reinstall(weights_folder):
    (weights_folder / "MANIFEST.json").unlink()
    with pytest.raises(checkpoints.ManifestError) as caught:
        checkpoints.load_pretrained("g")
    message = str(caught.value)
    assert "is missing" in message and str(weights_folder / "MANIFEST.json") in message
    assert REINSTALL in message and CLONE in message
    assert checkpoints.read_manifest(missing_ok=True) == {}


def test_register_starts_a_missing_manifest(tmp_path, weights_folder):
    (weights_folder / "MANIFEST.json").unlink()
    source = tmp_path / "g.pt"
    save_checkpoint(small_state(), source)
    checkpoints.register_weights("g", source, made_by="make g")
    assert sorted(checkpoints.read_manifest()) == ["g"]


@pytest.mark.parametrize("text, problem", [
    ('{"g": {"file": "g.pt",', "not valid JSON"),
    ("", "not valid JSON"),
    ('["g.pt"]', "not a list"),
])
def test_manifest_that_is_not_a_json_object(weights_folder, text, problem):
    (weights_folder / "MANIFEST.json").write_text(text)
    with pytest.raises(checkpoints.ManifestError) as caught:
        checkpoints.load_pretrained("g")
    message = str(caught.value)
    assert problem in message and "is damaged" in message
    assert REINSTALL in message and CLONE in message


def test_manifest_that_is_not_utf8(weights_folder):
    (weights_folder / "MANIFEST.json").write_bytes(b'{"g": "\xff"}')
    with pytest.raises(checkpoints.ManifestError, match="not valid JSON"):
        checkpoints.read_manifest()


@pytest.mark.parametrize("change, problem", [
    ({"sha256": None}, 'no valid "sha256"'),
    ({"sha256": "abc"}, 'no valid "sha256"'),
    ({"sha256": "z" * 64}, 'no valid "sha256"'),
    ({"file": None}, 'no usable "file"'),
    ({"file": "../g.pt"}, 'no usable "file"'),
])
def test_unusable_entry_is_refused_before_loading(weights_folder, change, problem):
    manifest = registered(weights_folder)
    for key, value in change.items():
        if value is None:
            del manifest["g"][key]
        else:
            manifest["g"][key] = value
    (weights_folder / "MANIFEST.json").write_text(json.dumps(manifest))
    with pytest.raises(checkpoints.ManifestError) as caught:
        checkpoints.load_pretrained("g")
    message = str(caught.value)
    assert problem in message and "'g'" in message and REINSTALL in message


def test_entry_that_is_not_an_object(weights_folder):
    (weights_folder / "MANIFEST.json").write_text('{"g": "g.pt"}')
    with pytest.raises(checkpoints.ManifestError, match="entry 'g' is not a JSON object"):
        checkpoints.load_pretrained("g")


def test_upper_case_digest_is_accepted(weights_folder):
    manifest = registered(weights_folder)
    manifest["g"]["sha256"] = manifest["g"]["sha256"].upper()
    (weights_folder / "MANIFEST.json").write_text(json.dumps(manifest))
    assert torch.equal(checkpoints.load_pretrained("g")["state_dict"]["bias"],
                       small_state()["bias"])


def test_missing_weights_file_says_reinstall(weights_folder):
    registered(weights_folder)
    (weights_folder / "g.pt").unlink()
    with pytest.raises(FileNotFoundError) as caught:
        checkpoints.load_pretrained("g")
    message = str(caught.value)
    assert str(weights_folder / "g.pt") in message and "is missing" in message
    assert REINSTALL in message and CLONE in message and "make g" in message


def test_truncated_weights_file_names_both_sizes(weights_folder):
    manifest = registered(weights_folder)
    path = weights_folder / "g.pt"
    path.write_bytes(path.read_bytes()[:100])  # e.g. a Git LFS pointer instead of the file
    with pytest.raises(ChecksumError) as caught:
        checkpoints.load_pretrained("g")
    message = str(caught.value)
    assert "is 100 bytes" in message and f"{manifest['g']['bytes']:,}" in message
    assert REINSTALL in message and "make g" in message


def test_shipped_manifest_entries_are_all_usable():
    manifest = checkpoints.read_manifest()
    assert manifest, "the package ships weights"
    for name, entry in manifest.items():
        assert checkpoints._checked_entry(name, entry) is entry
        path = checkpoints.weights_dir() / entry["file"]
        assert path.stat().st_size == entry["bytes"], name


def test_same_size_damage_is_caught_by_the_digest(weights_folder):
    registered(weights_folder)
    path = weights_folder / "g.pt"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # the size still matches: only the sha256 can tell
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="sha256 starts.*make g"):
        checkpoints.load_pretrained("g")
