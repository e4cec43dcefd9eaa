"""Kernel code that reports what a jailed kernel can reach of its grader, as JSON.

:data:`REPORT` is the source of a notebook cell. Run in a graded kernel, it prints one
line of JSON (:func:`read_report` parses it) with

- ``grader_env``: every place the kernel can read that holds ``CANARY_NAME=`` (the
  variable the tests put in the grader's environment, as an environment holds it): its
  environment, ``environ`` and ``cmdline`` of every process it can see, and every file
  descriptor it holds;
- ``pids``: the processes it can see; ``ids``: its uid, effective uid and gid;
- ``foreign_packages``: every package folder of another Python installation that it
  can find (the base installation of its venv, the system's), with what each holds;
  ``scipy``: what ``import scipy`` does with all of them on ``sys.path``;
- ``ipc``: the file system of its sockets' folder, and how writing 100 MiB there ends.

Used by tests/jail/test_execute.py (the grader as root) and tests/jail/test_unprivileged.py
(the grader as an unprivileged user).
"""

from __future__ import annotations

import json

#: The grader's environment variable the jail must keep from the kernel. Under a
#: JupyterHub formgrader this one holds the instructor's API token.
CANARY_NAME = "JUPYTERHUB_API_TOKEN"

REPORT = r"""
import errno, glob, json, os, sys
# Built here, so that this cell's own source (kept in IPython's history) does not hold it.
CANARY = (%(head)r + %(tail)r).encode()
facts = {}
found = [name for name, value in os.environ.items() if CANARY in f"{name}={value}".encode()]
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
for pid in pids:
    for what in ("environ", "cmdline"):
        try:
            with open(f"/proc/{pid}/{what}", "rb") as f:
                if CANARY in f.read():
                    found.append(f"/proc/{pid}/{what}")
        except OSError:
            pass
for fd in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        reopened = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        continue
    try:
        if CANARY in os.read(reopened, 1 << 22):
            found.append(f"fd {fd} -> {os.readlink(f'/proc/self/fd/{fd}')}")
    except OSError:
        pass
    finally:
        os.close(reopened)
facts["grader_env"] = found
facts["pids"] = pids
facts["ids"] = [os.getuid(), os.geteuid(), os.getgid()]

venv_packages = os.path.join(sys.prefix, "lib")
folders = set()
for prefix in (sys.base_prefix, "/usr", "/usr/local"):
    for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages"):
        folders.update(glob.glob(os.path.join(prefix, pattern)))
folders = sorted(f for f in folders if not f.startswith(venv_packages + os.sep))
facts["foreign_packages"] = {f: sorted(os.listdir(f)) for f in folders}
sys.path.extend(folders)
try:
    import scipy
    facts["scipy"] = "imported"
except BaseException as error:
    facts["scipy"] = type(error).__name__

with open(sys.argv[sys.argv.index("-f") + 1]) as f:
    ipc = os.path.dirname(json.load(f)["ip"])
mounts = [line.split() for line in open("/proc/self/mountinfo")]
mount = max((m for m in mounts if (ipc + "/").startswith(m[4].rstrip("/") + "/")),
            key=lambda m: len(m[4]))
fs_type = mount[mount.index("-") + 1]
written, outcome = 0, "wrote it all"
try:
    for i in range(25):
        with open(os.path.join(ipc, f"fill-{i}"), "wb") as f:
            f.write(b"x" * (4 << 20))
        written += 4 << 20
except OSError as error:
    outcome = errno.errorcode.get(error.errno, str(error))
for i in range(25):
    try:
        os.remove(os.path.join(ipc, f"fill-{i}"))
    except OSError:
        pass
facts["ipc"] = {"fs_type": fs_type, "written": written, "outcome": outcome}
print(json.dumps(facts))
"""


def report_source(canary: str = CANARY_NAME) -> str:
    """The cell source that prints the report, looking for ``canary=`` (as in environ)."""
    half = len(canary) // 2
    return REPORT % {"head": canary[:half], "tail": canary[half:] + "="}


def read_report(outputs: list) -> dict:
    """The report printed by a cell that ran :func:`report_source`."""
    text = "".join(output.get("text", "") for output in outputs if output.get("name") == "stdout")
    return json.loads(text.strip().splitlines()[-1])
