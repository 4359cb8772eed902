# Two commands for a fresh clone (see README):
#   make course   set up .venv, build notebooks/ and autograder/ from solutions/, verify them
#   make test     set up .venv, run ruff and the test suite
# Others: make grade SUBMISSIONS=dir ASSIGNMENT=03_vae_implementation, make bench (needs MNIST
# under $VAE_DATA_DIR; see bench/README.md), make clean-venv

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup course build verify test lint grade bench clean-venv

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt helpers/pyproject.toml
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	uv venv --quiet --allow-existing --python 3.11 $(VENV)
	uv pip install --quiet --python $(PY) -r requirements-dev.txt
	@touch $@

course: setup
	$(PY) -m tools.build --verify

build: setup
	$(PY) -m tools.build

verify: setup
	$(PY) -m tools.verify

lint: setup
	$(PY) -m ruff check .
	$(PY) -m tools.strip_outputs --check

test: lint
	$(PY) -m pytest

grade: setup
	$(PY) -m tools.grade "$(SUBMISSIONS)" --assignment "$(ASSIGNMENT)"

bench: setup
	$(PY) bench/data_pipeline.py
	$(PY) bench/vae_quality.py
	$(PY) bench/grading_time.py

clean-venv:
	rm -rf $(VENV)
