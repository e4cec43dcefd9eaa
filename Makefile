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

# Debian packages. Grading needs bubblewrap, which jails every graded kernel; the tests
# also drive Chromium (DejaVu draws every glyph, Persian included), grade into a
# PostgreSQL server and grade as an unprivileged user with Debian's own python3.11.
# `make system-packages` installs all of them (root, apt); `make setup` installs
# bubblewrap alone when it can.
GRADING_PACKAGES := bubblewrap
TEST_PACKAGES := chromium fonts-dejavu-core postgresql python3.11-venv

GUARD := $(VENV)/etc/jupyter/nbgrader_config.py
KERNELSPEC := $(VENV)/share/jupyter/kernels/$(KERNEL_NAME)/kernel.json

.PHONY: setup sandbox system-packages demo test test-browser lint format notebooks translations clean

setup: $(VENV)/.installed $(STUDENT_VENV)/.installed $(GUARD) $(KERNELSPEC) sandbox

# Grading refuses without bubblewrap, so set-up stops here, with the fix, if it is
# missing and cannot be installed.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq $(GRADING_PACKAGES); \
	  else \
	    echo "bubblewrap is missing and jails every graded kernel: install it with" \
	      "'sudo apt-get install -y bubblewrap' (or 'sudo make system-packages')" >&2; \
	    exit 1; \
	  fi; }

system-packages:
	apt-get update -qq
	apt-get install -y -qq $(GRADING_PACKAGES) $(TEST_PACKAGES)

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

# The trusted grader's fail-closed guard: nbgrader reads this file before any course's
# nbgrader_config.py, so grading refuses to run if the course config fails to load.
# Reinstalled whenever it changes, so `make setup` upgrades an existing checkout.
$(GUARD): etc/jupyter/nbgrader_config.py $(VENV)/.installed
	install -D -m 644 $< $@

# The grading kernelspec: the student runtime's interpreter runs
# autograder/jail/kernel_wrapper.py, which jails the kernel with bubblewrap while
# nbgrader autogrades and is a plain kernel otherwise.
$(KERNELSPEC): $(wildcard autograder/jail/*.py) $(STUDENT_VENV)/.installed
	$(BIN)/python -m autograder.jail install-kernel --prefix $(CURDIR)/$(VENV) \
		--student-python $(CURDIR)/$(STUDENT_VENV)/bin/python

# The main job, end to end on embedded defaults: build the release, grade the bundled
# sample class (SQLite gradebook), write feedback and the report into demo/.
demo: setup
	$(BIN)/conv-grader demo --out demo

# The self-study editions (notebooks/, notebooks/<language>/), the visible checks'
# expected values and the helpers' compiled messages are generated from source/ and
# locale/; tests prove the committed copies are in sync.
notebooks: setup
	$(BIN)/python -m autograder.course.visible_checks
	$(BIN)/python -m autograder.course.translations compile
	$(BIN)/python -m autograder.course.self_study

# A translator's first step after the English changed: new text in every catalogue,
# changed text marked fuzzy with the English it was translated from (locale/).
translations: setup
	$(BIN)/python -m autograder.course.translations update
	$(BIN)/python -m autograder.course.translations check || true

test: lint
	$(BIN)/pytest

# The real-browser tests alone (they are part of `make test` too). They drive Debian's
# Chromium (`make system-packages`); never `playwright install`, which downloads a
# browser of its own.
test-browser: setup
	$(BIN)/pytest tests/browser

# ruff, the package's layers (import-linter; the kernel-side helpers are found as the
# namespace packages `conv_backprop` and `notebooks`) and types (mypy).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=.:source $(BIN)/lint-imports
	$(BIN)/mypy

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Everything that building, grading and the demo write into the course folder; never
# submitted/, which holds the students' work.
clean:
	rm -rf demo release autograded feedback reports grading_logs \
		gradebook.db gradebook.db-journal grading_ledger.jsonl student_ids.csv \
		.nbgrader.log nbgrader.log .pytest_cache .ruff_cache .mypy_cache .hypothesis
