"""The grading sandbox: what a graded kernel can see and do, and attacks on the grader.

One module-scoped batch grades a course whose students each attack the sandbox (see
tests/sandbox_course.py) with plain ``nbgrader autograde``; the tests then read the
gradebook, the autograded notebooks and the spy's report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from traitlets.config import Config

import sandbox_course as course_kit
from autograder.i18n.catalogue import Translations
from autograder.i18n.messages import GRADER_DOMAIN
from autograder.i18n.notebooks import set_notebook_language
from autograder.jail import execute as sandbox
from autograder.jail import kernel_wrapper, kernelspec
from autograder.jail.kernel_wrapper import PLAN_VARIABLE
from jail_leaks import CANARY_NAME, read_report, report_source

REPO = Path(__file__).resolve().parents[2]
MAX_OUTPUT = 100_000
CPU_SECONDS = 12

# Reports, as JSON on stdout, everything the kernel should not be able to reach.
SPY = r"""
import importlib.util, json, os, site, socket, subprocess, sys
COURSE, REPO, PORT = {course!r}, {repo!r}, {port}
facts = {{"prefix": sys.prefix, "cwd": os.getcwd(), "cwd_files": sorted(os.listdir("."))}}
reachable, folder = [], os.getcwd()
while True:
    reachable += [os.path.join(folder, name) for name in os.listdir(folder)]
    if folder == "/":
        break
    folder = os.path.dirname(folder)
facts["walk_up"] = reachable
facts["exists"] = [p for p in [COURSE, COURSE + "/source", COURSE + "/gradebook.db",
    COURSE + "/submitted/honest", COURSE + "/autograded/spy", REPO + "/autograder",
    REPO + "/.venv/lib/python3.11/site-packages"] if os.path.exists(p)]

def attempt(action):
    try:
        action()
        return "succeeded"
    except BaseException as error:
        return type(error).__name__

def load_reference():
    spec = importlib.util.spec_from_file_location("ref", REPO + "/autograder/maths/reference.py")
    spec.loader.exec_module(importlib.util.module_from_spec(spec))

def import_autograder(path):
    def action():
        sys.modules.pop("autograder", None)
        if path:
            site.addsitedir(path)
            sys.path.insert(0, path)
        import autograder
    return action

facts["imports"] = {{
    "plain": attempt(import_autograder(None)),
    "repo_on_path": attempt(import_autograder(REPO)),
    "grader_site": attempt(import_autograder(REPO + "/.venv/lib/python3.11/site-packages")),
    "spec_from_file": attempt(load_reference),
}}
facts["network"] = attempt(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=3))
facts["subprocess"] = attempt(lambda: subprocess.run(["/bin/true"], check=True))
facts["thread"] = attempt(lambda: __import__("threading").Thread(target=print).start())
facts["write_helper"] = attempt(lambda: open("conv_probe.py", "a").write("# edited"))
facts["write_home"] = attempt(lambda: open("notes.txt", "w").write("scratch is writable"))
import conv_probe
facts["helper_marker"] = conv_probe.MARKER
facts["helper_file"] = conv_probe.__file__
facts["core_pattern"] = attempt(lambda: open("/proc/sys/kernel/core_pattern", "w").write(
    open("/proc/sys/kernel/core_pattern").read()))
import ctypes, platform
libc = ctypes.CDLL(None, use_errno=True)
keyctl = {{"x86_64": 250, "aarch64": 219}}[platform.machine()]
# keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_USER_KEYRING, 0): uid 0's keyring is the host's.
facts["keyctl"] = [libc.syscall(keyctl, 0, -4, 0), ctypes.get_errno()]
import resource
facts["limits"] = [resource.getrlimit(getattr(resource, "RLIMIT_" + name))
                   for name in ("CPU", "AS", "FSIZE")]
fonts = os.path.expanduser("~/.cache/matplotlib")
facts["font_cache"] = sorted(os.listdir(fonts)) if os.path.isdir(fonts) else []
facts["env"] = sorted(os.environ)
facts["connection_file"] = sys.argv[sys.argv.index("-f") + 1]
facts["status"] = dict(line.split(":\t") for line in open("/proc/self/status"))
print(json.dumps(facts))
"""

# Tries to damage everything it can reach: the course, other students, the helpers.
VANDAL = r"""
import os, shutil
COURSE = {course!r}
for target in [COURSE + "/gradebook.db", COURSE + "/submitted/honest/conv_backprop",
               COURSE + "/source", "conv_probe.py"]:
    for action in (os.remove, os.unlink, shutil.rmtree):
        try:
            action(target)
        except Exception:
            pass
for root, folders, files in os.walk("/"):
    folders[:] = [f for f in folders if os.path.join(root, f) not in ("/proc", "/dev", "/usr")]
    for name in files:
        try:
            with open(os.path.join(root, name), "a") as f:
                f.write("vandalised")
        except Exception:
            pass
"""

# Writes to every pipe or terminal it inherited, hoping one is the grader's stdout/stderr.
LEAK = r"""
import os
for fd in range(3, 256):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith(("pipe:", "/dev/")):
            os.write(fd, b"LEAKED-TO-GRADER\\n")
    except OSError:
        pass
"""

ATTACKS = {
    "honest": "attack = None",
    "exit": "import os\nos._exit(1)",
    "loop": "while True:\n    pass",
    "stubborn": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile 1:\n    pass",
    "memory": "blocks = []\nwhile True:\n    blocks.append(bytearray(50_000_000))",
    "flood": 'line = "x" * 100_000\nwhile True:\n    print(line, flush=True)',
    "forkbomb": "import os\nwhile True:\n    os.fork()",
    "bigmessage": 'print("x" * 40_000_000)',
    "leak": LEAK,
}
#: The value of the grader's secret (CANARY_NAME) while the batch is graded.
CANARY_VALUE = f"instructor-token-{os.urandom(8).hex()}"
#: Points each submission should keep: 1 where the kernel dies in the attack cell.
EXPECTED_SCORES = {
    "honest": 2,
    "exit": 1,
    "loop": 2,
    "stubborn": 1,
    "memory": 2,
    "flood": 2,
    "forkbomb": 2,
    "bigmessage": 1,
    "leak": 2,
    "spy": 2,
    "vandal": 2,
    "leaks": 2,
}


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the host's loopback that the sandboxed kernel must not reach."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0)
    yield server
    server.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, listener):
    """Grade every attack once; return the course, nbgrader's result and file digests."""
    course = tmp_path_factory.mktemp("sandbox course")
    work_root = tmp_path_factory.mktemp("kernel folders")
    port = listener.getsockname()[1]
    attacks = {
        **ATTACKS,
        "spy": SPY.format(course=str(course), repo=str(REPO), port=port),
        "vandal": VANDAL.format(course=str(course)),
        "leaks": report_source(),
    }
    extra = (
        f"c.Sandbox.max_output_bytes = {MAX_OUTPUT}\n"
        f"c.Sandbox.cpu_seconds = {CPU_SECONDS}\nc.Sandbox.memory_mb = 1024\n"
        "c.Sandbox.max_message_mb = 8\n"
        f"c.Sandbox.work_root = {str(work_root)!r}"
    )
    course_kit.make_course(course, attacks, extra=extra)
    before = {name: _digest(course / name) for name in ("source", "submitted")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CANARY_NAME, CANARY_VALUE)
        done = course_kit.nbgrader(course, "autograde", course_kit.ASSIGNMENT)
    after = {name: _digest(course / name) for name in ("source", "submitted")}
    return {
        "course": course,
        "done": done,
        "before": before,
        "after": after,
        "leftovers": list(work_root.iterdir()),
    }


@pytest.fixture(scope="module")
def spy(batch):
    (output,) = course_kit.graded_cells(batch["course"], "spy")["attack"].outputs
    return json.loads(output.text)


def test_the_batch_finishes_and_grades_every_submission(batch):
    assert batch["done"].returncode == 0, batch["done"].stderr[-3000:]
    assert course_kit.scores(batch["course"]) == EXPECTED_SCORES


def test_no_attack_changes_the_course_files_or_other_submissions(batch):
    assert batch["after"] == batch["before"]


@pytest.fixture(scope="module")
def leaks(batch):
    return read_report(course_kit.graded_cells(batch["course"], "leaks")["attack"].outputs)


def test_each_kernel_gets_a_private_folder_in_work_root_removed_afterwards(spy, batch):
    folder = Path(spy["connection_file"]).parent
    assert folder.parent.name.startswith("kernel folders")
    assert folder.name.startswith("conv-sandbox-")
    assert batch["leftovers"] == []


def test_the_kernel_runs_the_student_runtime_in_an_empty_scratch_dir(spy):
    assert spy["prefix"] == str(REPO / ".student-venv")
    assert spy["cwd"] == "/home/student"
    assert spy["cwd_files"] == [
        ".cache",
        ".config",  # matplotlib's, made by the preloaded import
        ".ipython",
        "conv_checks_expected.json",
        "conv_probe.py",
    ]


def test_the_kernel_starts_with_the_prebuilt_matplotlib_font_list(spy):
    prebuilt = REPO / ".student-venv" / kernel_wrapper.FONT_CACHE
    assert spy["font_cache"] == sorted(path.name for path in prebuilt.iterdir())
    assert spy["font_cache"]  # `make setup` built it


def test_nothing_of_the_course_or_the_grader_is_reachable(spy, batch):
    assert spy["exists"] == []
    course = str(batch["course"])
    reachable = "\n".join(spy["walk_up"])
    assert course not in reachable and "gradebook" not in reachable
    assert ".ipynb" not in reachable


def test_the_reference_cannot_be_imported_by_any_path(spy):
    assert spy["imports"] == {
        "plain": "ModuleNotFoundError",
        "repo_on_path": "ModuleNotFoundError",
        "grader_site": "ModuleNotFoundError",
        "spec_from_file": "FileNotFoundError",
    }


def test_the_network_is_unreachable(spy, listener):
    with socket.create_connection(listener.getsockname(), timeout=3):
        pass  # the server is up and reachable from the host
    listener.accept()[0].close()
    assert spy["network"] == "ConnectionRefusedError"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing from the kernel ever arrived


def test_the_trusted_helper_is_imported_and_read_only(spy):
    assert spy["helper_marker"] == course_kit.TRUSTED_MARKER
    assert spy["helper_file"] == "/home/student/conv_probe.py"
    assert spy["write_helper"] == "OSError"
    assert spy["write_home"] == "succeeded"


def test_the_kernel_runs_under_the_configured_limits(spy):
    mib = 1024 * 1024
    cpu, memory, file_size = spy["limits"]
    assert cpu == [CPU_SECONDS, CPU_SECONDS + 1]
    assert memory == [1024 * mib, 1024 * mib]
    assert file_size == [64 * mib, 64 * mib]


def test_no_host_sysctls_or_keyrings(spy):
    assert spy["core_pattern"] == "OSError"
    assert spy["keyctl"] == [-1, 1]  # EPERM


def test_the_kernel_cannot_write_to_the_graders_output(batch):
    assert "LEAKED-TO-GRADER" not in batch["done"].stdout + batch["done"].stderr


def test_no_processes_no_capabilities_no_grader_environment(spy):
    assert spy["subprocess"] == "BlockingIOError"
    assert spy["thread"] == "succeeded"
    status = {key: value.strip() for key, value in spy["status"].items()}
    assert status["CapEff"] == status["CapPrm"] == "0000000000000000"
    # No exec (of a setuid binary, or as root) gains capabilities back; seccomp in force.
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"
    assert PLAN_VARIABLE not in spy["env"]
    assert "JPY_PARENT_PID" not in spy["env"]
    assert "NBGRADER_EXECUTION" not in spy["env"]


def test_the_graders_environment_is_unreadable_by_every_route(leaks, batch):
    # /proc/*/environ and cmdline of every process in sight, every inherited descriptor.
    assert leaks["grader_env"] == []
    assert leaks["pids"] == [1]  # the kernel alone: bubblewrap's own process is outside
    autograded = batch["course"] / "autograded" / "leaks" / course_kit.ASSIGNMENT
    assert CANARY_VALUE not in (autograded / f"{course_kit.NOTEBOOK}.ipynb").read_text()


def test_the_kernel_runs_as_an_unprivileged_uid(leaks):
    assert leaks["ids"] == [kernel_wrapper.SANDBOX_UID] * 3


def test_only_the_student_runtimes_packages_are_importable(leaks):
    # The base installation of the runtime's venv has packages of its own (pip at least;
    # scipy here): each such folder is hidden behind an empty one.
    assert leaks["foreign_packages"], "no package folder of the base installation found"
    assert not any(leaks["foreign_packages"].values()), leaks["foreign_packages"]
    assert leaks["scipy"] == "ModuleNotFoundError"


def test_the_socket_folder_is_a_capped_tmpfs_not_the_hosts_disk(leaks):
    assert leaks["ipc"]["fs_type"] == "tmpfs"
    assert leaks["ipc"]["outcome"] == "ENOSPC"
    assert leaks["ipc"]["written"] < 4 << 20


def _attack_outputs(batch, student: str) -> tuple[list, list]:
    cells = course_kit.graded_cells(batch["course"], student)
    return cells["attack"].outputs, cells["test_after"].outputs


def test_a_dead_kernel_marks_its_cell_and_every_later_cell(batch):
    attack, after = _attack_outputs(batch, "exit")
    assert [o.ename for o in attack] == ["DeadKernelError"]
    assert after[0].evalue == "Not run: the kernel died while running cell 3."


def test_an_infinite_loop_is_interrupted_and_later_cells_run(batch):
    attack, after = _attack_outputs(batch, "loop")
    assert "KeyboardInterrupt" in [o.get("ename") for o in attack]
    assert after == []


def test_a_loop_that_ignores_interrupts_stops_the_kernel_and_later_cells(batch):
    attack, after = _attack_outputs(batch, "stubborn")
    assert "kept running after its timeout" in attack[-1].evalue
    assert after[0].evalue == "Not run: cell 3 did not finish cleanly."


def test_a_memory_bomb_gets_a_memory_error(batch):
    attack, after = _attack_outputs(batch, "memory")
    assert attack[-1].ename == "MemoryError"
    assert after == []


def test_a_fork_bomb_cannot_fork(batch):
    attack, _ = _attack_outputs(batch, "forkbomb")
    assert attack[-1].ename == "BlockingIOError"


def test_an_output_flood_is_cut(batch):
    attack, after = _attack_outputs(batch, "flood")
    kept = sum(len(o.get("text", "")) for o in attack)
    assert kept <= MAX_OUTPUT
    notes = [o.text for o in attack if o.output_type == "stream"]
    assert "output truncated" in notes[-1]
    assert "KeyboardInterrupt" in [o.get("ename") for o in attack]
    assert after == []
    path = batch["course"] / "autograded/flood" / course_kit.ASSIGNMENT
    assert (path / f"{course_kit.NOTEBOOK}.ipynb").stat().st_size < 3 * MAX_OUTPUT


def test_a_message_too_large_never_reaches_the_notebook(batch):
    attack, after = _attack_outputs(batch, "bigmessage")
    assert "output was lost for being too large" in attack[-1].evalue
    assert after[0].ename == "DeadKernelError"
    path = batch["course"] / "autograded/bigmessage" / course_kit.ASSIGNMENT
    assert (path / f"{course_kit.NOTEBOOK}.ipynb").stat().st_size < 3 * MAX_OUTPUT


# ------------------------------------------------------------------ without the sandbox


@pytest.fixture
def small_course(batch, tmp_path):
    """A copy of the graded batch course with only the spy's submission, not yet graded."""
    course = tmp_path / "course"
    shutil.copytree(batch["course"], course)
    shutil.rmtree(course / "autograded")
    for folder in (course / "submitted").iterdir():
        if folder.name != "spy":
            shutil.rmtree(folder)
    course_kit.write_config(course)
    return course


def _spy_score(course: Path) -> float:
    return course_kit.scores(course)["spy"]


def test_without_bwrap_grading_refuses_unless_explicitly_allowed(small_course):
    missing = 'c.Sandbox.bwrap = "/nonexistent/bwrap"'
    course_kit.write_config(small_course, extra=missing)
    refused = course_kit.nbgrader(small_course, "autograde", course_kit.ASSIGNMENT)
    assert refused.returncode != 0
    assert "Refusing to grade: the grading sandbox is unavailable" in refused.stderr
    assert "/nonexistent/bwrap" in refused.stderr
    assert not list((small_course / "autograded").rglob("*.ipynb"))

    course_kit.write_config(small_course, extra=f"{missing}\nc.Sandbox.allow_unsandboxed = True")
    allowed = course_kit.nbgrader(small_course, "autograde", course_kit.ASSIGNMENT)
    assert allowed.returncode == 0, allowed.stderr[-3000:]
    assert "GRADING WITHOUT THE SANDBOX" in allowed.stderr
    assert _spy_score(small_course) == 2
    (output,) = course_kit.graded_cells(small_course, "spy")["attack"].outputs
    spied = json.loads(output.text)
    # Still the student runtime, in a scratch copy of the trusted helpers only.
    assert spied["prefix"] == str(REPO / ".student-venv")
    assert spied["helper_marker"] == course_kit.TRUSTED_MARKER
    assert spied["cwd_files"] == [
        *(".cache", ".config"),  # matplotlib's, made by the preloaded import
        *(".ipython", "conv_checks_expected.json", "conv_probe.py"),
    ]


def test_concurrent_graders_each_get_their_own_kernel_sockets(small_course):
    twin = small_course.with_name("twin")
    shutil.copytree(small_course, twin)
    with ThreadPoolExecutor(2) as pool:
        runs = list(
            pool.map(
                lambda course: course_kit.nbgrader(course, "autograde", course_kit.ASSIGNMENT),
                [small_course, twin],
            )
        )
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr[-2000:]
    assert _spy_score(small_course) == _spy_score(twin) == 2


def test_the_kernelspec_refuses_to_start_for_autograde_without_a_plan(tmp_path):
    # What stock nbgrader would do if nbgrader_config.py failed to load and the
    # notebook's kernelspec were used without SandboxedExecute (and its plan).
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    with pytest.raises(RuntimeError, match="Kernel died before replying"):
        start_new_kernel(kernel_name=kernelspec.KERNEL_NAME, cwd=str(tmp_path), env=env)


# --------------------------------------------------------------------- outside grading


def test_outside_grading_the_kernelspec_is_a_plain_kernel(tmp_path):
    (tmp_path / "data.txt").write_text("beside the notebook")
    notebook = new_notebook(cells=[new_code_cell("print(open('data.txt').read())")])
    NotebookClient(notebook, kernel_name=kernelspec.KERNEL_NAME, timeout=60).execute(
        cwd=str(tmp_path)
    )
    assert notebook.cells[0].outputs[0].text == "beside the notebook\n"


def test_the_wrapper_refuses_a_plan_without_its_ipc_sockets(tmp_path, monkeypatch, capsys):
    connection = tmp_path / "connection.json"
    connection.write_text(json.dumps({"transport": "tcp", "ip": "127.0.0.1"}))
    plan = {"bwrap": "/usr/bin/bwrap", "ipc_dir": str(tmp_path / "ipc")}
    monkeypatch.setenv(PLAN_VARIABLE, json.dumps(plan))
    assert kernel_wrapper.main(["kernel_wrapper.py", str(connection)]) == 1
    assert "needs IPC transport" in capsys.readouterr().err


def test_a_runtime_under_tmp_is_bound_after_the_private_tmp(monkeypatch):
    # CI clones the repository into any folder, /tmp included: a bind made before the
    # jail's own /tmp is mounted would be hidden by it and the kernel could not start.
    runtime = ("/tmp/clone/.student-venv", "/tmp/clone/python")
    monkeypatch.setattr(kernel_wrapper, "_runtime_dirs", lambda: runtime)
    plan = {
        "bwrap": "bwrap",
        "ipc_dir": "/tmp/conv-sandbox-x/ipc",
        "helpers": [],
        "scratch_mb": 1,
        "allow_processes": True,
    }
    cmd = kernel_wrapper.bwrap_command(plan, "/tmp/conv-sandbox-x/ipc/c.json", ["python"])
    private_tmp = next(i for i, arg in enumerate(cmd) if cmd[i - 1 : i + 1] == ["--tmpfs", "/tmp"])
    for prefix in runtime:
        bind = next(i for i, arg in enumerate(cmd) if arg == "--ro-bind" and cmd[i + 2] == prefix)
        assert bind > private_tmp, f"{prefix} is bound before /tmp is mounted over it"


def test_the_installed_kernelspec_runs_the_wrapper_in_the_student_runtime(tmp_path):
    folder = kernelspec.install_kernel(str(tmp_path), "/student/bin/python")
    spec = json.loads((folder / "kernel.json").read_text())
    assert spec["argv"][0] == "/student/bin/python"
    assert Path(spec["argv"][3]) == REPO / "autograder" / "jail" / "kernel_wrapper.py"
    assert spec["argv"][-1] == "{connection_file}"
    assert spec["interrupt_mode"] == "message"


# ------------------------------------------------------------ kernels started ahead

LEAVE_TRACES = "secret = 42\nopen('left_behind.txt', 'w').write('x')"
REPORT_KERNEL = """
import json, os, sys
from ipykernel.connect import get_connection_file
print(json.dumps({
    "connection_file": get_connection_file(),
    "secret_visible": "secret" in globals(),
    "file_visible": os.path.exists("left_behind.txt"),
    "preloaded": [m for m in ("numpy", "matplotlib.pyplot") if m in sys.modules],
    "preload_names": [n for n in ("numpy", "matplotlib") if n in globals()],
    "helper": open("helper.txt").read(),
}))
"""


def _ahead_executor(tmp_path: Path) -> sandbox.SandboxedExecute:
    # pytest's tmp_path is too long a prefix for the kernels' Unix sockets.
    helpers, work_root = tmp_path / "helpers", tmp_path / "k"
    helpers.mkdir()
    work_root.mkdir()
    (helpers / "helper.txt").write_text("first")
    config = Config()
    config.Execute.kernel_name = kernelspec.KERNEL_NAME
    config.Sandbox.helper_dir = str(helpers)
    config.Sandbox.work_root = str(work_root)
    config.Sandbox.prestart_kernels = True
    return sandbox.SandboxedExecute(config=config)


def _run(executor: sandbox.SandboxedExecute, source: str) -> str:
    notebook = new_notebook(cells=[new_code_cell(source)])
    executor.preprocess(notebook, {"metadata": {"path": "."}})
    return "".join(o.get("text", "") for o in notebook.cells[0].outputs if "text" in o)


@pytest.fixture
def short_tmp():
    folder = Path(tempfile.mkdtemp(prefix="ahead-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def ahead(short_tmp):
    executor = _ahead_executor(short_tmp)
    yield executor
    sandbox.discard_prestarted_kernel()


def test_the_next_notebooks_kernel_starts_ahead_and_starts_fresh(ahead):
    _run(ahead, LEAVE_TRACES)
    started_ahead = sandbox._prestarted
    assert started_ahead is not None and started_ahead.km.has_kernel

    report = json.loads(_run(ahead, REPORT_KERNEL))
    assert report["connection_file"] == started_ahead.km.connection_file
    assert not report["secret_visible"] and not report["file_visible"]
    assert report["preloaded"] == ["numpy", "matplotlib.pyplot"]
    assert report["preload_names"] == []
    # The kernel that graded the first notebook is gone, with its folder.
    work_root = Path(sandbox.Sandbox(parent=ahead).work_root)
    assert sorted(work_root.iterdir()) == [Path(sandbox._prestarted.folder.name)]


def test_bubblewrap_itself_starts_with_an_empty_environment(ahead):
    # Its own process keeps the environment it was started with, and the jail's processes
    # are its children: it is given none at all.
    _run(ahead, "pass")
    started_ahead = sandbox._prestarted
    started_ahead.reach_sockets()  # waits until bubblewrap has started the kernel
    bwrap = Path(f"/proc/{started_ahead.km.provisioner.pid}")
    assert (bwrap / "exe").resolve() == Path(shutil.which("bwrap")).resolve()
    assert (bwrap / "environ").read_bytes() == b""


def test_a_kernel_started_ahead_with_other_helpers_or_settings_is_not_used(ahead):
    _run(ahead, "pass")
    helper = Path(sandbox.Sandbox(parent=ahead).helper_dir) / "helper.txt"
    helper.write_text("second, edited")
    assert json.loads(_run(ahead, REPORT_KERNEL))["helper"] == "second, edited"

    stale = sandbox._prestarted
    ahead.extra_arguments = ["--IPKernelApp.exec_lines=secret = 1"]
    report = json.loads(_run(ahead, REPORT_KERNEL))
    assert report["secret_visible"] and report["connection_file"] != stale.km.connection_file
    assert not Path(stale.folder.name).exists()


def test_a_kernel_that_died_while_waiting_is_replaced(ahead):
    _run(ahead, "pass")
    dead = sandbox._prestarted
    run_sync(dead.km.shutdown_kernel)(now=True)
    report = json.loads(_run(ahead, REPORT_KERNEL))
    assert report["connection_file"] != dead.km.connection_file
    assert report["helper"] == "first"


def test_the_kernel_started_ahead_is_stopped_and_removed_when_the_grader_exits(short_tmp):
    script = f"""
import sys
sys.path[:0] = [{str(Path(__file__).parent)!r}, {str(Path(__file__).parents[1])!r}]
from pathlib import Path
from test_execute import _ahead_executor, _run
from autograder.jail import execute as sandbox
_run(_ahead_executor(Path({str(short_tmp)!r})), "pass")
print(sandbox._prestarted.km.provisioner.pid)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    pid = int(done.stdout.split()[-1])
    assert list((short_tmp / "k").iterdir()) == []
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_unsandboxed_a_work_root_too_long_for_unix_sockets_is_refused_with_the_fix(tmp_path):
    config = Config()
    config.Sandbox.helper_dir = str(tmp_path)
    config.Sandbox.bwrap = "/nonexistent/bwrap"
    config.Sandbox.allow_unsandboxed = True
    workdir = tmp_path / ("x" * 100)
    workdir.mkdir()
    with pytest.raises(sandbox.SandboxUnavailableError, match=r"c\.Sandbox\.work_root"):
        sandbox.Sandbox(config=config).plan(workdir, log=logging.getLogger("test"))


def test_jailed_the_sockets_live_in_the_jail_whatever_the_work_root(tmp_path):
    config = Config()
    config.Sandbox.helper_dir = str(tmp_path)
    workdir = tmp_path / ("x" * 100)
    workdir.mkdir()
    plan = sandbox.Sandbox(config=config).plan(workdir, log=None)
    assert plan["ipc_dir"] == kernel_wrapper.IPC_DIR
    assert not (workdir / "ipc").exists()


# ------------------------------------------------- limits the grader enforces itself

MIME = "application/x-answer+json"
ANSWER = f"from IPython.display import display\ndisplay({{{MIME!r}: {{}}}}, raw=True)"


def _graded_cell(source: str, grade_id: str):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id}
    return cell


def _execute(
    short_tmp: Path,
    cells: list,
    resources: dict | None = None,
    settings_language: str = "en",
    **settings,
):
    """Run ``cells`` (a notebook in ``settings_language``) through SandboxedExecute with
    ``Sandbox`` ``settings``; return them."""
    helpers, work_root = short_tmp / "helpers", short_tmp / "k"
    helpers.mkdir(exist_ok=True)
    work_root.mkdir(exist_ok=True)
    config = Config()
    config.Execute.kernel_name = kernelspec.KERNEL_NAME
    config.Execute.timeout = settings.pop("timeout", 30)
    config.Sandbox.helper_dir = str(helpers)
    config.Sandbox.work_root = str(work_root)
    config.Sandbox.preload_modules = []
    for name, value in settings.items():
        setattr(config.Sandbox, name, value)
    notebook = new_notebook(cells=cells)
    set_notebook_language(notebook, settings_language)
    sandbox.SandboxedExecute(config=config).preprocess(
        notebook, {"metadata": {"path": "."}, **(resources or {})}
    )
    return notebook.cells


def _errors(cell) -> list[tuple[str, str]]:
    return [(o.ename, o.evalue) for o in cell.outputs if o.output_type == "error"]


def _answers(cell) -> int:
    return sum(MIME in o.get("data", {}) for o in cell.outputs)


def test_answers_after_their_cells_deadline_are_dropped_and_the_cell_is_stopped(short_tmp):
    deadlines = {
        grade_id: sandbox.CellDeadline(seconds, MIME, 1, f"{grade_id} was too slow")
        for grade_id, seconds in (("in_time", 20.0), ("stuck", 1.0), ("deaf", 1.0))
    }
    deaf = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(2)\n"
    in_time, stuck, deaf_cell, no_deadline = _execute(
        short_tmp,
        [
            _graded_cell(ANSWER, "in_time"),
            _graded_cell(f"import time\ntime.sleep(20)\n{ANSWER}", "stuck"),
            _graded_cell(deaf + ANSWER, "deaf"),
            _graded_cell(f"time.sleep(1.5)\n{ANSWER}", "no_deadline"),
        ],
        {sandbox.DEADLINES_KEY: deadlines},
    )
    assert _answers(in_time) == 1 and _errors(in_time) == []
    assert _answers(no_deadline) == 1
    # Interrupted when its deadline passed, long before its own 20 s.
    assert _answers(stuck) == 0
    assert _errors(stuck)[0] == (sandbox.TIME_LIMIT_ERROR, "stuck was too slow")
    assert "KeyboardInterrupt" in [name for name, _ in _errors(stuck)]
    # Ignored the interrupt and sent its answer late: dropped.
    assert _answers(deaf_cell) == 0
    assert _errors(deaf_cell)[0] == (sandbox.TIME_LIMIT_ERROR, "deaf was too slow")


def test_a_notebook_past_its_cell_budget_is_stopped_with_the_reason(short_tmp):
    cells = _execute(
        short_tmp,
        [new_code_cell(source) for source in ("a = 1", "", "b = 2", "c = 3", "d = 4", "e = 5")],
        notebook_cells=3,
    )
    assert [_errors(cell) for cell in cells[:4]] == [[], [], [], []]
    reason = "Not run: the notebook ran the 3 code cells it may run."
    assert _errors(cells[4]) == _errors(cells[5]) == [(sandbox.BUDGET_ERROR, reason)]


def test_a_persian_notebook_is_told_why_in_persian_and_the_instructor_in_english(short_tmp):
    cells = _execute(
        short_tmp,
        [new_code_cell(source) for source in ("a = 1", "b = 2", "c = 3")],
        settings_language="fa",
        notebook_cells=2,
    )
    (error,) = [o for o in cells[2].outputs if o.output_type == "error"]
    # The flags and the log read the value: English, as for any notebook.
    assert error.evalue == "Not run: the notebook ran the 2 code cells it may run."
    persian = Translations.load("fa", GRADER_DOMAIN)
    reason = persian.get(None, "the notebook ran the {cells} code cells it may run")
    said = persian.get(None, "Not run: {reason}.").format(reason=reason.format(cells=2))
    assert error.traceback == ["\u200f\u2067" + said + "\u2069"]


def test_a_notebook_past_its_output_budget_is_stopped_with_the_reason(short_tmp):
    # Each cell stays within its own budget (1000); four of them exceed the notebook's.
    cells = _execute(
        short_tmp,
        [new_code_cell('print("x" * 800)') for _ in range(5)],
        max_output_bytes=1000,
        notebook_output_bytes=2500,
    )
    assert all("x" * 800 in cell.outputs[0].text for cell in cells[:3])
    fourth = cells[3]
    assert not any("x" * 800 in o.get("text", "") for o in fourth.outputs)
    assert "this notebook produced more than 2500 characters" in fourth.outputs[0].text
    assert _errors(fourth) == [
        (
            sandbox.BUDGET_ERROR,
            "The notebook produced more than the 2500 characters of output it may store; "
            "later cells are not run.",
        )
    ]
    assert _errors(cells[4])[0][0] == sandbox.BUDGET_ERROR


def test_a_notebook_past_its_running_time_is_interrupted_and_stopped(short_tmp):
    # The second cell would sleep 20 s, within its own timeout (30 s): the notebook's 2 s
    # budget cuts it short.
    cells = _execute(
        short_tmp,
        [new_code_cell(s) for s in ("import time", "time.sleep(20)", "x = 1")],
        notebook_seconds=2,
    )
    names = [name for name, _ in _errors(cells[1])]
    assert "KeyboardInterrupt" in names
    assert names[-1] == sandbox.BUDGET_ERROR
    reason = "Not run: the notebook used up its 2 s of running time."
    assert _errors(cells[2]) == [(sandbox.BUDGET_ERROR, reason)]


def test_a_jail_that_cannot_start_stops_grading_with_bubblewraps_own_reason(short_tmp):
    # 1 MiB of address space is too little for bubblewrap itself to load: a system fault,
    # which stops the batch, so its one line must say what bubblewrap said.
    with pytest.raises(
        sandbox.SandboxUnavailableError,
        match=r"did not start the jailed kernel: .*bwrap: error while loading shared libraries",
    ):
        _execute(short_tmp, [new_code_cell("pass")], memory_mb=1)
