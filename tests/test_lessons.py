"""lessons/ is generated from solutions/, and no notebook is committed with outputs."""

import ast
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import make_lessons  # noqa: E402

SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NOTEBOOKS = SOLUTIONS + sorted((ROOT / "lessons").glob("*.ipynb"))


def test_there_are_solutions():
    assert SOLUTIONS, "no solution notebooks found"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_lesson_is_up_to_date(solution):
    lesson = ROOT / "lessons" / solution.name
    assert lesson.exists(), f"{lesson.name} missing: run `make lessons`"
    assert lesson.read_text(encoding="utf-8") == make_lessons.render(solution), (
        f"lessons/{lesson.name} is out of date with solutions/: run `make lessons`"
    )


def test_every_lesson_has_a_solution():
    orphans = {p.name for p in (ROOT / "lessons").glob("*.ipynb")} - {p.name for p in SOLUTIONS}
    assert not orphans, f"lessons without a solution: {sorted(orphans)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"{path.name} cell {index} has outputs: strip them"
            assert cell.execution_count is None, f"{path.name} cell {index} has a count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_code_cell_installs_on_colab_only(path):
    notebook = nbformat.read(path, as_version=4)
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert '"google.colab" in sys.modules' in first_code.source


def test_stub_replaces_the_region_and_keeps_indentation():
    source = (
        "def f(x):\n    ### BEGIN SOLUTION\n    y = x + 1\n    return y\n    ### END SOLUTION\n"
    )
    lesson = make_lessons.stub_source(source)
    assert "x + 1" not in lesson
    assert lesson.splitlines()[2] == '    raise NotImplementedError("exercise not written yet")'
    compile(lesson, "lesson", "exec")


@pytest.mark.parametrize("source,message", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nested"),
])
def test_unbalanced_markers_are_errors(source, message):
    with pytest.raises(ValueError, match=message):
        make_lessons.stub_source(source)


def test_solution_cells_are_dropped_and_outputs_cleared():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("print(1)", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("print(2)", execution_count=3,
                                  outputs=[nbformat.v4.new_output("stream", text="2")]),
    ]
    lesson = make_lessons.make_lesson(notebook)
    assert [cell.source for cell in lesson.cells] == ["print(2)"]
    assert lesson.cells[0].outputs == [] and lesson.cells[0].execution_count is None
    assert len(notebook.cells) == 2  # the solution notebook itself is untouched


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_lessons_hide_every_solution(solution):
    text = (ROOT / "lessons" / solution.name).read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    regions = solution.read_text(encoding="utf-8").count("### BEGIN SOLUTION")
    assert text.count("exercise not written yet") == regions


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_every_lesson_ends_with_the_exercise_summary(solution):
    """In strict mode the summary fails if an exercise was not used after its check."""
    notebook = nbformat.read(solution, as_version=4)
    last = [cell for cell in notebook.cells if cell.cell_type == "code"][-1]
    assert last.source.strip() == "exercise_summary();"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_every_lesson_has_a_prediction_prompt(solution):
    text = solution.read_text(encoding="utf-8")
    assert "compare_prediction(" in text, f"{solution.name}: add a predict-then-verify prompt"


LIBRARY_PARAGRAPH = "**The library code behind this lesson:**"


def _modules_imported(notebook: nbformat.NotebookNode) -> set[str]:
    """Paths like ``gan_course/dcgan.py`` of every gan_course module the code cells import."""
    found = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_course"):
                if node.module == "gan_course":          # from gan_course import dcgan, ...
                    found.update(f"gan_course/{alias.name}.py" for alias in node.names)
                else:
                    found.add(node.module.replace(".", "/") + ".py")
    return found


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_introduction_names_every_module_the_lesson_imports(solution):
    notebook = nbformat.read(solution, as_version=4)
    paragraphs = [cell.source for cell in notebook.cells
                  if cell.cell_type == "markdown" and LIBRARY_PARAGRAPH in cell.source]
    assert paragraphs, f"{solution.name}: no '{LIBRARY_PARAGRAPH}' paragraph in its introduction"
    missing = sorted(m for m in _modules_imported(notebook) if f"`{m}`" not in paragraphs[0])
    assert not missing, f"{solution.name}'s introduction does not name {missing}"


def test_the_module_check_reads_imports():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "%matplotlib inline\nfrom gan_course import dcgan, losses\n"
        "from gan_course.widgets.status import status_html\nimport torch")])
    assert _modules_imported(notebook) == {"gan_course/dcgan.py", "gan_course/losses.py",
                                           "gan_course/widgets/status.py"}
