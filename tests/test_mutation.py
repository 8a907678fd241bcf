"""The mutation test of the exercise checks (issue 13).

Fast part: the catalogue turns a solution region into the bugs learners write. Slow part
(``make mutants``): for every lesson, every mutant of every exercise is reported ``[wrong]``
by the check cells after it, except the reviewed equivalents in tests/equivalent_mutants/.
"""

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from gan_course import training

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import mutants  # noqa: E402

# The course's own training step, after its docstring: the region a learner writes in lesson 01.
TRAIN_STEP = textwrap.dedent(inspect.getsource(training.train_step).split('"""', 2)[2])


def descriptions(region: str) -> set[str]:
    return {description for _, description, _ in mutants.mutate_region(region)}


def test_catalogue_makes_the_classic_training_bugs():
    made = descriptions(TRAIN_STEP)
    for bug in ("delete `opt_d.zero_grad()`", "delete `opt_g.zero_grad()`",
                "delete `opt_d.step()`", "delete `d_loss.backward()`",
                "drop .detach(): `fake.detach()`",
                "no .detach(), backward(retain_graph=True) instead",
                "drop .item(): `d_loss.item()`", "first two arguments swapped: `discriminator_loss"
                "(D(real), D(fake.detach()))`", "delete `return (d_loss.item(), g_loss.item())`"):
        assert any(d.startswith(bug) for d in made), bug


def test_catalogue_makes_the_classic_numeric_bugs():
    made = descriptions(
        "centred = x - x.mean(dim=0, keepdim=True)\n"
        "gp = torch.autograd.grad(f(x).sum(), x, create_graph=True)\n"
        "d = (a - b).abs().mean() + torch.sqrt(centred.pow(2).mean(dim=0) + 1e-08).mean()\n"
        "ok = d.clamp_min(0) < 3 * sigma\n"
        "return torch.ones(3), gp, ok\n"
    )
    for bug in ("dim=0 -> dim=1", "drop keepdim=", "drop create_graph=",
                ".abs() moved outside the .mean()", "abs -> square", "square -> abs",
                "drop the constant 1e-08", "constant 3 -> 4", "drop .clamp_min()",
                "Lt -> LtE", ".ones -> .zeros", "- -> +", ".mean -> .sum"):
        assert any(d.startswith(bug) for d in made), bug


def test_catalogue_detaches_what_must_stay_in_the_graph():
    made = [text for _, d, text in mutants.mutate_region(TRAIN_STEP)
            if d.startswith("add .detach(): `fake`")]
    # the classic: the G step scored on detached fakes, so no gradient reaches G
    assert any("g_loss_fn(D(_mutant_detach(fake)))" in text for text in made)
    # inside fake.detach() the tensor is already cut: no mutant there
    assert not any("_mutant_detach(fake).detach()" in text for text in made)


def test_detach_probe_notes_only_tensors_that_needed_a_gradient():
    probe = mutants._detach_probe
    probe.cut = False
    assert torch.equal(probe(torch.ones(2)), torch.ones(2)) and not probe.cut
    leaf = torch.ones(2, requires_grad=True)
    assert not probe(leaf).requires_grad and probe.cut


def test_every_mutant_compiles_and_differs_from_the_original():
    original = mutants.ast.unparse(mutants.ast.parse(TRAIN_STEP))
    for _, _, text in mutants.mutate_region(TRAIN_STEP):
        compile(text, "mutant", "exec", flags=mutants.ast.PyCF_ONLY_AST)
        assert text != original


def test_regions_find_each_exercise_and_its_check_cells():
    cells = [
        {"cell_type": "code", "source": "import torch"},
        {"cell_type": "code", "source": "@exercise(reference=r)\ndef f(x):\n"
         "    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"},
        {"cell_type": "markdown", "source": "check_cases( in prose does not count"},
        {"cell_type": "code", "source": "check_cases(f, [], hint='h')"},
        {"cell_type": "code", "source": "f(1)"},
    ]
    (region,) = mutants.find_regions(cells)
    assert (region.function, region.cell, region.checks) == ("f", 1, [3])
    assert mutants.mutated_cell(cells[1]["source"], region, "return -x").splitlines()[3] == \
        "    return -x"


def test_equivalents_file_format_is_valid():
    for path in sorted((ROOT / "tests" / "equivalent_mutants").glob("*.txt")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip() and not line.startswith("#"):
                parts = line.split(" | ", 2)
                assert len(parts) == 3 and all(p.strip() for p in parts), \
                    f"{path.name}:{number}: write `function | mutant | reason`"


@pytest.mark.mutation
@pytest.mark.parametrize("lesson", mutants.lessons_available())
def test_every_check_catches_every_mutant(lesson, tmp_path):
    out = tmp_path / "mutants.json"
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "mutants.py"), lesson, "--json",
                           str(out)], capture_output=True, text=True, env=env, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = [mutants.Mutant(**row) for row in json.loads(out.read_text())]
    print(done.stdout.splitlines()[0])
    survivors = [f"[{m.outcome}] {m.key}: {m.message}" for m in results
                 if m.outcome not in ("killed", "equivalent")]
    assert not survivors, "checks that pass a bug:\n" + "\n".join(survivors)
    listed = mutants.equivalents(lesson)
    stale = sorted(set(listed) - {m.key for m in results if m.outcome == "equivalent"})
    assert not stale, f"tests/equivalent_mutants/{lesson}.txt lists mutants that are no longer " \
        f"made or are killed now: {stale}"
    assert len(results) >= 5 * len({m.function for m in results})
