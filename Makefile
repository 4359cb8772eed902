# Two commands for a fresh clone (see README):
#   make course   set up .venv, build notebooks/ and autograder/ from solutions/, verify them
#   make test     set up .venv, run the linters and the whole test suite (what CI runs)
# Others: make test-fast (everyday, under 2 minutes), make validity, make lint, make release,
#   make grade SUBMISSIONS=dir ASSIGNMENT=03_vae_implementation [GRADE_ARGS=--resume],
#   make review SUBMISSIONS=dir ASSIGNMENT=NN_name [REVIEW_ARGS=--anonymize] (written answers),
#   make gradebook [GRADEBOOK_ARGS=...], make report [REPORT_ARGS=...] (see docs/instructors.md),
#   make bench (needs MNIST under $VAE_DATA_DIR; see bench/README.md), make clean-venv
# Setup never writes into the system Python: it makes .venv with `python3 -m venv` and installs
# uv inside it. TORCH=cpu installs CPU-only torch wheels (Linux without an NVIDIA GPU).

VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
# The torch build of this .venv: `make setup TORCH=cpu` switches it and later commands keep it.
TORCH  ?= $(shell cat $(VENV)/.torch 2>/dev/null || echo default)
STAMP  := $(VENV)/.installed-$(TORCH)
# make test runs on this many pytest-xdist workers (CI has 2 cores; 1 runs the suite serially).
TEST_WORKERS ?= 2
TORCH_INDEX := $(if $(filter cpu,$(TORCH)),--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple --index-strategy unsafe-best-match,)

.PHONY: setup sandbox-tools course build verify release test test-fast validity lint grade review gradebook report bench clean-venv

setup: $(STAMP)

# A .venv whose interpreter does not run, or that has neither uv nor pip (python3 -m venv fails
# half-way without python3-venv on Debian/Ubuntu), is removed and made again.
$(STAMP): requirements.txt requirements-dev.txt helpers/pyproject.toml grading/pyproject.toml
	@case "$(TORCH)" in default|cpu) ;; *) echo "error: TORCH=$(TORCH): use TORCH=cpu or leave it out"; exit 2;; esac
	@if [ -e $(VENV) ] && ! { $(PY) -c "" 2>/dev/null && { test -x $(UV) || $(PY) -m pip --version >/dev/null 2>&1; }; }; then \
	  echo "$(VENV) is half-made (no working python or pip): removing it and starting again"; rm -rf $(VENV); fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "error: could not create $(VENV). Debian/Ubuntu: sudo apt install python3-venv"; exit 1; }
	@test -x $(UV) || $(PY) -m pip install --disable-pip-version-check --progress-bar on uv
	@echo "installing the course environment into $(VENV) (torch is large: the first time takes a few minutes)"
	$(UV) pip install --python $(PY) $(TORCH_INDEX) $(if $(filter-out $(STAMP),$(wildcard $(VENV)/.installed-*)),--reinstall-package torch --reinstall-package torchvision,) -r requirements-dev.txt
	@$(MAKE) --no-print-directory sandbox-tools
	@rm -f $(VENV)/.installed-* $(VENV)/.installed
	@echo $(TORCH) > $(VENV)/.torch
	@touch $@

# bubblewrap sandboxes student code in `make grade` and `make course` (Linux only).
sandbox-tools:
	@if [ "$$(uname)" = Linux ] && ! command -v bwrap >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap (apt-get)"; \
	    (apt-get install -y -q bubblewrap || (apt-get update -q && apt-get install -y -q bubblewrap)) >/dev/null; \
	  else \
	    echo "note: grading needs bubblewrap: sudo apt-get install bubblewrap (or dnf/pacman)"; \
	  fi; \
	fi

course: setup
	$(PY) -m tools.build --verify

build: setup
	$(PY) -m tools.build

verify: setup
	$(PY) -m tools.verify

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m tools.strip_outputs --check

release: setup
	$(PY) -m tools.release

test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15

test-fast: setup
	$(PY) -m pytest -m "not slow and not thorough" -q \
	  tests/helpers tests/assignments tests/grading tests/test_heartbeat.py \
	  tests/tooling/test_units.py tests/tooling/test_release.py tests/tooling/test_versions.py \
	  tests/tooling/test_docs.py tests/tooling/test_setup.py tests/tooling/test_student_notebooks.py \
	  tests/tooling/test_workload.py tests/tooling/test_review.py tests/tooling/test_gradebook.py \
	  tests/tooling/test_feedback.py tests/tooling/test_report.py

validity: setup
	$(PY) -m tests.validity

grade: setup
	$(PY) -m tools.grade "$(SUBMISSIONS)" --assignment "$(ASSIGNMENT)" $(GRADE_ARGS)

review: setup
	$(PY) -m tools.review "$(SUBMISSIONS)" --assignment "$(ASSIGNMENT)" $(REVIEW_ARGS)

gradebook: setup
	$(PY) -m tools.gradebook $(GRADEBOOK_ARGS)

report: setup
	$(PY) -m tools.report $(REPORT_ARGS)

bench: setup
	$(PY) bench/data_pipeline.py
	$(PY) bench/vae_quality.py
	$(PY) bench/grading_time.py
	$(PY) bench/key_runtime.py
	$(PY) bench/time_to_quality.py

clean-venv:
	rm -rf $(VENV)
