"""Launch links: README badges generated from one setting, Colab install cells that match it,
and the output stripper used by the pre-commit hook."""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_badges  # noqa: E402
import strip_outputs  # noqa: E402

README = ROOT / "README.md"
NOTEBOOKS = sorted(ROOT.glob("solutions/*.ipynb")) + sorted(ROOT.glob("lessons/*.ipynb"))


def test_readme_badges_are_up_to_date():
    text = README.read_text(encoding="utf-8")
    assert make_badges.render_readme(text) == text, (
        "README launch badges are out of date: run `python tools/make_badges.py`")


def test_every_lesson_has_a_binder_and_a_colab_badge():
    slug = make_badges.github_slug(make_badges.repository())
    text = README.read_text(encoding="utf-8")
    assert f"https://mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab/tree/lessons)" in text
    for lesson in make_badges.lessons():
        path = f"lessons/{lesson.name}"
        assert f"https://mybinder.org/v2/gh/{slug}/HEAD?urlpath=lab/tree/{path})" in text
        assert f"https://colab.research.google.com/github/{slug}/blob/main/{path})" in text


def test_check_mode_fails_on_a_stale_readme(tmp_path, capsys):
    stale = tmp_path / "README.md"
    stale.write_text(README.read_text(encoding="utf-8").replace(
        make_badges.github_slug(make_badges.repository()), "someone/old-home"))
    assert make_badges.main(["--check", "--readme", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().out
    assert make_badges.main(["--readme", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == README.read_text(encoding="utf-8")


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="exactly one"):
        make_badges.render_readme("# a README without the generated blocks\n")


@pytest.mark.parametrize("url", ["https://gitlab.com/a/b", "github.com/a/b", "https://github.com/a"])
def test_only_github_addresses_make_badges(url):
    with pytest.raises(ValueError, match="not a GitHub repository"):
        make_badges.github_slug(url)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_colab_install_cell_uses_the_repository_setting(path):
    notebook = nbformat.read(path, as_version=4)
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    urls = re.findall(r"git\+(https://[^\s\"'@]+)", first_code.source)
    assert urls, f"{path.name}: the Colab cell installs no git+https:// address"
    wanted = make_badges.repository()
    assert {url.removesuffix(".git").rstrip("/") for url in urls} == {wanted}, (
        f"{path.name} installs from {urls}, pyproject.toml says {wanted}")


def test_strip_outputs_cleans_a_notebook_and_leaves_a_clean_one_alone(tmp_path):
    notebook = nbformat.v4.new_notebook(metadata={"widgets": {"state": {}}})
    notebook.cells = [nbformat.v4.new_code_cell(
        "print(1)", execution_count=4, outputs=[nbformat.v4.new_output("stream", text="1")])]
    path = tmp_path / "dirty.ipynb"
    nbformat.write(notebook, path)
    assert strip_outputs.main([str(path)]) == 1
    clean = path.read_text(encoding="utf-8")
    cell = json.loads(clean)["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    assert "widgets" not in json.loads(clean)["metadata"]
    assert nbformat.validate(nbformat.reads(clean, as_version=4)) is None
    assert strip_outputs.main([str(path)]) == 0 and path.read_text(encoding="utf-8") == clean


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_stripped_notebooks_are_written_as_nbformat_writes_them(path):
    text = path.read_text(encoding="utf-8")
    assert strip_outputs.dumps(json.loads(text)) == text
