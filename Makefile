# One entry point for the course. `make demo` sets everything up and runs the main
# job; `make test` sets everything up and runs every test, lint included.

PYTHON ?= python3
VENV := .venv
STUDENT_VENV := .student-venv
KERNEL_NAME := conv-backprop-student
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader finds alembic (and everything else) through PATH, so every recipe runs
# with the grader environment first on it.
export PATH := $(BIN):$(PATH)

.PHONY: setup demo test lint format notebooks clean

setup: $(VENV)/.installed $(STUDENT_VENV)/.installed $(VENV)/etc/jupyter/nbgrader_config.py

# The trusted grader's fail-closed guard: nbgrader reads this file before any course's
# nbgrader_config.py, so grading refuses to run if the course config fails to load.
$(VENV)/etc/jupyter/nbgrader_config.py: etc/jupyter/nbgrader_config.py $(VENV)/.installed
	install -D -m 644 $< $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The student runtime is a separate venv, registered as a kernelspec inside the
# grader's venv, so that graded kernels cannot import `autograder`.
$(STUDENT_VENV)/.installed: requirements-student.txt $(VENV)/.installed
	$(PYTHON) -m venv $(STUDENT_VENV)
	$(STUDENT_VENV)/bin/pip install --quiet --upgrade pip
	$(STUDENT_VENV)/bin/pip install --quiet -r requirements-student.txt
	touch $@

# The grading kernelspec: the student runtime's interpreter runs
# autograder/kernel_wrapper.py, which jails the kernel with bubblewrap while nbgrader
# autogrades (autograder/sandbox.py) and is a plain kernel otherwise.
KERNELSPEC := $(VENV)/share/jupyter/kernels/$(KERNEL_NAME)/kernel.json
setup: $(KERNELSPEC)
$(KERNELSPEC): autograder/sandbox.py $(STUDENT_VENV)/.installed
	$(BIN)/python -m autograder.sandbox install-kernel --prefix $(CURDIR)/$(VENV) \
		--student-python $(CURDIR)/$(STUDENT_VENV)/bin/python

# The main job, end to end on embedded defaults: build the release, grade the bundled
# sample class (SQLite gradebook), write feedback and the report into demo/.
demo: setup
	$(BIN)/conv-grader demo --out demo

# The self-study edition (notebooks/) and the visible checks' expected values are
# generated from source/; tests prove the committed copies are in sync.
notebooks: setup
	$(BIN)/python -m autograder.visible_checks
	$(BIN)/python -m autograder.self_study

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# The real-browser tests alone (they are part of `make test` too). They drive Debian's
# Chromium, which .ci/run installs: `apt-get install -y chromium fonts-dejavu-core`.
# Never `playwright install`: it downloads a browser of its own.
.PHONY: test-browser
test-browser: setup
	$(BIN)/pytest tests/browser

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf demo release autograded feedback gradebook.db .pytest_cache .ruff_cache .hypothesis
