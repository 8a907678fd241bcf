# The course's commands. Every target creates and reuses a local virtual environment
# in .venv, so nothing is installed outside this folder.
#
#   make lab     open the course (JupyterLab on lessons/)
#   make test    lint, unit tests, launch checks, then every lesson and solution notebook
#   make site    the executed lessons as a static website in build/site (offline; SITE_ARGS="--only 01")
#   make clean   remove .venv and build leftovers, to start over
#
# TORCH is what pip is asked for to get PyTorch. On Linux without an NVIDIA GPU a CPU-only
# build is much smaller:  make lab TORCH="torch --index-url https://download.pytorch.org/whl/cpu"
# TORCH counts only when .venv is made; for an existing one: make clean && make lab TORCH=...

PYTHON ?= python3
TORCH ?= torch
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jupyter refuses to run as root (containers, some cloud machines) unless told it may.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test lint unit launch mutants notebooks lessons bench site clean torch-note

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "The course needs Python 3.10 or newer (found: $$($(PYTHON) --version))."; \
		  echo "Point PYTHON at one, e.g. make lab PYTHON=python3.11"; exit 1; }
	@echo "Creating $(VENV) with $$($(PYTHON) --version) ($(PYTHON))"
	$(PYTHON) -m venv $(VENV)
	@echo "Installing PyTorch ($(TORCH)). It takes minutes: the CUDA build fills about 6 GB,"
	@echo "the CPU build under 1 GB (the README says how to ask for it)."
	$(BIN)/python -m pip install $(TORCH)
	@echo "Installing the course, JupyterLab and the test tools (the lab and dev extras)."
	$(BIN)/python -m pip install -e ".[lab,dev]"
	@echo '$(TORCH)' > $(STAMP)
	@echo "Done: $(VENV) is ready. Later runs start at once."

lab: $(STAMP) torch-note
	$(BIN)/jupyter lab $(LAB_ARGS) lessons/

# TORCH given for a .venv made with another one would silently do nothing: say so.
torch-note: $(STAMP)
	@if [ "$(origin TORCH)" = "command line" ] && [ "$$(cat $(STAMP))" != '$(TORCH)' ]; then \
		echo "Note: $(VENV) already exists, so TORCH=\"$(TORCH)\" was not used (it counts only"; \
		echo "when $(VENV) is made). To start over with it: make clean && make lab TORCH=\"$(TORCH)\""; \
	fi

test: lint unit launch mutants notebooks

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not mutation" tests

# The slow tests: binder/requirements.txt installed into a fresh venv runs a lesson, and
# the playground widget works in JupyterLab in headless Chromium (skipped without one).
launch: $(STAMP)
	$(BIN)/python -m pytest -m slow tests

# Every exercise check must report [wrong] for every classic bug applied to its solution
# (tools/mutants.py), except the reviewed equivalents in tests/equivalent_mutants/.
mutants: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -m mutation tests

# Lessons run as a learner gets them (exercises fall back to the reference);
# solutions run in strict mode, where any fallback or failed check is an error.
notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider lessons
	GAN_COURSE_STRICT=1 $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider solutions

lessons: $(STAMP)
	$(BIN)/python tools/make_lessons.py
	$(BIN)/python tools/make_badges.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks --json benchmark.json

# A second environment with the classic Notebook (6.5) and ipywidgets 7.7, what Colab runs, for
# tests/test_browser_classic.py (skipped without it; GAN_COURSE_CLASSIC_VENV names another).
# A plain venv, not --system-site-packages, so .venv's ipywidgets 8 cannot leak in.
CLASSIC_VENV ?= .venv-classic
CLASSIC_TORCH ?= torch==2.13.0

classic-venv: $(CLASSIC_VENV)/.installed

$(CLASSIC_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(CLASSIC_VENV)
	$(CLASSIC_VENV)/bin/python -m pip install $(CLASSIC_TORCH)
	$(CLASSIC_VENV)/bin/python -m pip install -e . "ipywidgets==7.7.*" "notebook<7" ipykernel
	$(CLASSIC_VENV)/bin/jupyter nbextension install --py --sys-prefix ipyevents
	$(CLASSIC_VENV)/bin/jupyter nbextension enable --py --sys-prefix ipyevents
	$(CLASSIC_VENV)/bin/jupyter nbextension enable --py --sys-prefix widgetsnbextension
	@echo '$(CLASSIC_TORCH)' > $@

# The course as a website (tools/build_site.py): each solution is executed into
# build/site-notebooks (again only once it changes), then Sphinx writes build/site.
# SITE_ARGS="--only 01 --executed DIR" builds one lesson, reusing notebooks that
# `python -m benchmarks --keep DIR` executed. The site extra is installed on first use.
site: $(STAMP)
	@$(BIN)/python -c "import sphinx, myst_nb, furo, jupyter_server_mathjax" 2>/dev/null || \
		{ echo "Installing the site extra (Sphinx, myst-nb, furo, MathJax) into $(VENV)."; \
		  $(BIN)/python -m pip install -e ".[site]"; }
	$(BIN)/python tools/build_site.py $(SITE_ARGS)

# Start over: the environment and what building the package leaves behind (not lessons/,
# not your notebooks, not the data cache in ~/.cache/gan_course).
clean:
	rm -rf $(VENV) $(CLASSIC_VENV) build dist *.egg-info .pytest_cache .ruff_cache
