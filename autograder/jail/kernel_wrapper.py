"""Start the student runtime's IPython kernel, jailed by bubblewrap when grading.

The ``conv-backprop-student`` kernelspec runs this file with the student runtime's own
interpreter, isolated (``python -I -S kernel_wrapper.py {connection_file} ...``): it uses
the standard library only, never imports ``autograder`` and starts in a few milliseconds.
Running it with the student runtime (not the grader's Python) also tells it, through
``sys.executable``, ``sys.prefix`` and ``sys.base_prefix``, exactly which interpreter and
which directories the kernel needs.

What it does depends on the launch plan that the grader's ``SandboxedExecute`` puts in
the environment variable named by ``PLAN_VARIABLE`` (see ``autograder.jail.execute``):

- plan with ``"bwrap"``: set CPU, memory and file-size limits, then ``exec`` bubblewrap
  with an empty environment. Bubblewrap runs the kernel as an unprivileged uid in its own
  user namespace, as PID 1 of a fresh PID namespace
  (so no process of bubblewrap's, with what it was started with, is visible inside),
  with no network, no capabilities, no way to start processes or use kernel keyrings, a
  minimal read-only file system (/proc included) in which only the student runtime's
  packages are importable, and small capped tmpfs folders: the scratch directory holding
  only the trusted helper files, /tmp, /dev/shm and the folder for the kernel's sockets;
- plan with ``"bwrap": null`` (unsandboxed grading, explicitly allowed by the
  instructor): the same limits, in a host scratch directory holding the helpers;
- no plan, during ``nbgrader autograde``: refuse to start, because the grader is
  running without ``autograder.jail.execute`` (a broken ``nbgrader_config.py``);
- no plan otherwise (a notebook opened in JupyterLab, ``nbgrader validate``, tests
  that execute the course notebooks): the plain kernel, as if this file did not exist.
"""

from __future__ import annotations

import glob
import json
import os
import platform
import resource
import struct
import sys

__all__ = [
    "IPC_DIR",
    "PLAN_VARIABLE",
    "SANDBOX_UID",
    "bwrap_command",
    "foreign_package_dirs",
    "kernel_command",
    "main",
    "seccomp_program",
]

#: The environment variable that carries the JSON launch plan from the grader.
PLAN_VARIABLE = "CONV_BACKPROP_SANDBOX_PLAN"

#: Where the scratch working directory appears inside the sandbox.
SANDBOX_HOME = "/home/student"
#: The jail's own folder for the kernel's sockets: a capped tmpfs that the grader reaches
#: through ``/proc/<kernel pid>/root``, so the kernel never writes to the host's disk.
IPC_DIR = "/run/kernel"
#: The jailed processes' uid and gid inside their user namespace: not 0, so nothing in
#: the jail runs as root even when the grader does.
SANDBOX_UID = 1000
#: Where ``install-kernel`` leaves matplotlib's font list, inside the student runtime.
FONT_CACHE = os.path.join("share", "conv-backprop", "matplotlib")

_SYSTEM_DIRS = ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/libx32", "/sbin")
# Where Python installations keep packages: pyenv and python.org builds
# (lib/python3.X/site-packages), Debian (lib/python3/dist-packages,
# local/lib/python3.X/dist-packages).
_PACKAGE_DIR_PATTERNS = ("lib/python3*/site-packages", "lib/python3*/dist-packages")
_MIB = 1024 * 1024
# The sockets need no space; the cap only bounds what a kernel could write beside them.
_IPC_BYTES = 1 * _MIB
# Grading kernels get one BLAS thread each: several run side by side, and every extra
# thread reserves address space that counts against the memory limit.
_KERNEL_ENV = {
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
}


def kernel_command(connection_file: str, extra_arguments: list[str]) -> list[str]:
    """Return the argv that starts an IPython kernel in this interpreter's environment."""
    return [
        sys.executable,
        "-Xfrozen_modules=off",
        "-m",
        "ipykernel_launcher",
        "-f",
        connection_file,
        *extra_arguments,
    ]


def _runtime_dirs() -> tuple[str, str]:
    """The student runtime (a venv) and the Python installation it is based on.

    Run with ``-S``, ``sys.prefix`` is the base installation (``site`` is what
    switches it to the venv), so the venv is found beside ``sys.executable``.
    """
    venv = os.path.dirname(os.path.dirname(sys.executable))
    if not os.path.isfile(os.path.join(venv, "pyvenv.cfg")):
        venv = sys.prefix
    return venv, sys.base_prefix


def _symlink_hops(path: str, bound: tuple[str, ...]) -> list[str]:
    """bwrap arguments recreating each symlink on the way from ``path`` to its target.

    A venv's ``bin/python`` is usually a symlink to another interpreter (here, the
    grader venv's, itself a link into the base install). Binding only the directories
    the kernel needs would leave such links dangling; recreating them keeps the
    interpreter path (and so ``sys.prefix``) the same inside and outside.
    """
    args: list[str] = []
    seen: set[str] = set()
    while os.path.islink(path) and path not in seen:
        seen.add(path)
        target = os.readlink(path)
        if not any(path == d or path.startswith(d + os.sep) for d in bound):
            args += ["--symlink", target, path]
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
    return args


def foreign_package_dirs(runtime: tuple[str, str]) -> list[str]:
    """Package folders the jail binds that are not the student runtime's own.

    The base installation the runtime's venv is made from, and the system's Pythons under
    /usr, keep packages of their own (scipy, for one): the jail hides each of these
    folders behind an empty one, so that only the venv's packages can be imported.

    Parameters
    ----------
    runtime : tuple of str
        The student runtime (a venv) and its base installation, as ``_runtime_dirs``.

    Returns
    -------
    list of str
        Existing folders, sorted; none inside the venv.
    """
    venv = runtime[0]
    found: set[str] = set()
    for prefix in dict.fromkeys((runtime[1], "/usr", "/usr/local")):
        for pattern in _PACKAGE_DIR_PATTERNS:
            found.update(glob.glob(os.path.join(prefix, pattern)))
    return sorted(
        path
        for path in found
        if os.path.isdir(path) and not (path + os.sep).startswith(venv + os.sep)
    )


def _sock_filter(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def seccomp_program(machine: str | None = None) -> bytes:
    """A classic-BPF seccomp filter: no new processes (threads excepted), no keyrings.

    RLIMIT_NPROC counts every process of the host uid (all of root's when the grader
    runs as root), so this filter is what stops a fork bomb: ``fork``,
    ``vfork`` and a ``clone`` without ``CLONE_THREAD`` fail with EAGAIN, ``clone3``
    with ENOSYS (glibc then falls back to ``clone`` for threads). The kernel keyring
    calls fail with EPERM (the host uid's keyrings are the grader's), and so does any
    system call made through a foreign ABI (x32, i386).

    Parameters
    ----------
    machine : str, optional
        ``platform.machine()`` of the kernel's host; x86_64 and aarch64 are supported.

    Returns
    -------
    bytes
        The ``struct sock_filter`` array bwrap's ``--seccomp`` reads.
    """
    eagain, enosys, eperm, clone3 = 11, 38, 1, 435
    machine = machine or platform.machine()
    if machine == "x86_64":
        audit_arch, clone, abi_bit = 0xC000003E, 56, 0x40000000
        denied = {57: eagain, 58: eagain, 248: eperm, 249: eperm, 250: eperm}
    elif machine == "aarch64":
        audit_arch, clone, abi_bit = 0xC00000B7, 220, 0
        denied = {217: eperm, 218: eperm, 219: eperm}
    else:
        raise RuntimeError(f"no seccomp filter for {machine}; set Sandbox.allow_processes")
    denied[clone3] = enosys
    ld, jeq, jge, and_, ret = 0x20, 0x15, 0x35, 0x54, 0x06
    allow, errno, clone_thread = 0x7FFF0000, 0x00050000, 0x00010000

    prog = [_sock_filter(ld, 4), _sock_filter(jeq, audit_arch, jt=1)]
    prog.append(_sock_filter(ret, errno | eperm))
    prog.append(_sock_filter(ld, 0))
    if abi_bit:
        prog += [_sock_filter(jge, abi_bit, jf=1), _sock_filter(ret, errno | eperm)]
    for number, error in denied.items():
        prog += [_sock_filter(jeq, number, jf=1), _sock_filter(ret, errno | error)]
    # clone: allowed only with CLONE_THREAD in its flags (low word of argument 0, at
    # offset 16); any other system call jumps over these four instructions to ALLOW.
    prog += [_sock_filter(jeq, clone, jf=4), _sock_filter(ld, 16)]
    prog += [_sock_filter(and_, clone_thread), _sock_filter(jeq, clone_thread, jt=1)]
    prog.append(_sock_filter(ret, errno | eagain))
    prog.append(_sock_filter(ret, allow))
    return b"".join(prog)


def bwrap_command(plan: dict, connection_file: str, kernel_argv: list[str]) -> list[str]:
    """The bubblewrap argv that runs ``kernel_argv`` jailed, as ``plan`` asks.

    Parameters
    ----------
    plan : dict
        The grader's launch plan: ``bwrap`` (path to the binary), ``ipc_dir`` (where the
        kernel's sockets go, inside the jail), ``helpers`` (host paths of the trusted
        helper files), ``scratch_mb`` and ``allow_processes``; with ``allow_processes``
        false, ``seccomp_fd`` (an inherited file descriptor); optionally
        ``font_cache_fds`` (file name -> inherited descriptor to copy in) and
        ``info_fd`` (where bubblewrap writes the kernel's host PID).
    connection_file : str
        The kernel's connection file, bound read-only at the same path.
    kernel_argv : list of str
        What to run inside, normally ``kernel_command(...)``.
    """
    runtime = _runtime_dirs()
    cmd = [plan["bwrap"]]
    for directory in _SYSTEM_DIRS:
        if os.path.islink(directory):
            cmd += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            cmd += ["--ro-bind", directory, directory]
    cmd += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    size = str(plan["scratch_mb"] * _MIB)
    cmd += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm"]
    cmd += ["--size", size, "--tmpfs", "/tmp"]
    # After the /tmp tmpfs, so that a runtime living under /tmp (a CI clone) stays visible.
    for prefix in runtime:
        cmd += ["--ro-bind", os.path.realpath(prefix), prefix]
    cmd += _symlink_hops(sys.executable, runtime)
    # Read-only empty folders over every other installation's packages.
    for folder in foreign_package_dirs(runtime):
        cmd += ["--size", "4096", "--tmpfs", folder, "--remount-ro", folder]
    cmd += ["--size", str(_IPC_BYTES), "--tmpfs", plan["ipc_dir"]]
    cmd += ["--ro-bind", connection_file, connection_file]
    cmd += ["--size", size, "--tmpfs", SANDBOX_HOME]
    for helper in plan["helpers"]:
        cmd += ["--ro-bind", helper, f"{SANDBOX_HOME}/{os.path.basename(helper)}"]
    # A writable copy of the prebuilt font list spares every kernel that plots the
    # second or so matplotlib takes to build it.
    for name, fd in plan.get("font_cache_fds", {}).items():
        cmd += ["--file", str(fd), f"{SANDBOX_HOME}/.cache/matplotlib/{name}"]
    # Everything mounted: make the sandbox's root, /dev and /proc read-only (the tmpfs
    # mounts above stay writable, and bounded).
    cmd += ["--remount-ro", "/dev", "--remount-ro", "/proc", "--remount-ro", "/"]
    cmd += ["--chdir", SANDBOX_HOME]
    # An unprivileged uid in a user namespace of its own, and the kernel itself as PID 1:
    # bubblewrap's own process, which keeps the environment it was started with, is not
    # in the jail's PID namespace.
    ids = str(SANDBOX_UID)
    cmd += ["--unshare-user", "--uid", ids, "--gid", ids]
    cmd += ["--unshare-net", "--unshare-pid", "--as-pid-1", "--unshare-ipc", "--unshare-uts"]
    # No --new-session: the kernel, PID 1 and a session leader, would have process group
    # 1, and ipykernel's interrupt (killpg of its own group) would become kill(-1). The
    # wrapper starts the session instead (see main), so no terminal is reachable either.
    cmd += ["--die-with-parent", "--cap-drop", "ALL", "--clearenv"]
    env = {**_KERNEL_ENV, "HOME": SANDBOX_HOME, "PATH": f"{runtime[0]}/bin:/usr/bin:/bin"}
    for name, value in env.items():
        cmd += ["--setenv", name, value]
    if not plan["allow_processes"]:
        cmd += ["--seccomp", str(plan["seccomp_fd"])]
    if "info_fd" in plan:
        cmd += ["--info-fd", str(plan["info_fd"])]
    return [*cmd, "--", *kernel_argv]


def _limit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))


def _apply_limits(plan: dict) -> None:
    # SIGXCPU at the soft limit, SIGKILL one second later if the kernel catches it.
    resource.setrlimit(resource.RLIMIT_CPU, (plan["cpu_seconds"], plan["cpu_seconds"] + 1))
    _limit(resource.RLIMIT_AS, plan["memory_mb"] * _MIB)
    _limit(resource.RLIMIT_FSIZE, plan["scratch_mb"] * _MIB)
    _limit(resource.RLIMIT_CORE, 0)


def _font_cache_fds() -> dict[str, int]:
    folder = os.path.join(_runtime_dirs()[0], FONT_CACHE)
    if not os.path.isdir(folder):
        return {}
    return {name: os.open(os.path.join(folder, name), os.O_RDONLY) for name in os.listdir(folder)}


def _seccomp_fd() -> int:
    read_end, write_end = os.pipe()
    os.write(write_end, seccomp_program())
    os.close(write_end)
    return read_end


def _refuse(message: str) -> int:
    print(f"conv-backprop sandbox: {message}", file=sys.stderr, flush=True)
    return 1


def main(argv: list[str]) -> int:
    """Run the kernel as the launch plan asks; return an exit status if it cannot start."""
    if len(argv) < 2:
        return _refuse(f"usage: {argv[0] if argv else 'kernel_wrapper.py'} CONNECTION_FILE")
    connection_file, extra_arguments = argv[1], argv[2:]
    kernel_argv = kernel_command(connection_file, extra_arguments)
    plan_text = os.environ.get(PLAN_VARIABLE)
    if plan_text is None:
        if os.environ.get("NBGRADER_EXECUTION") == "autograde":
            return _refuse(
                "refusing to run a graded notebook without a sandbox plan: nbgrader is "
                "not using autograder.jail.execute.SandboxedExecute (is nbgrader_config.py "
                "broken, or is autograder.verify.config.configure(c, ...) missing from it?)"
            )
        os.execv(sys.executable, kernel_argv)
    plan = json.loads(plan_text)
    with open(connection_file, encoding="utf-8") as f:
        connection = json.load(f)
    if plan["bwrap"] and (
        connection.get("transport") != "ipc"
        or os.path.dirname(connection.get("ip", "")) != plan["ipc_dir"]
    ):
        return _refuse("the sandboxed kernel needs IPC transport inside its plan's ipc_dir")
    _apply_limits(plan)
    if not plan["bwrap"]:
        os.chdir(plan["scratch"])
        path = f"{_runtime_dirs()[0]}/bin:/usr/bin:/bin"
        os.execve(
            sys.executable, kernel_argv, {**_KERNEL_ENV, "HOME": plan["scratch"], "PATH": path}
        )
    if not plan["allow_processes"]:
        plan["seccomp_fd"] = _seccomp_fd()
    plan["font_cache_fds"] = _font_cache_fds()
    if plan.get("info_file"):
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
        plan["info_fd"] = os.open(plan["info_file"], flags, 0o600)
    for fd in [plan.get("seccomp_fd"), plan.get("info_fd"), *plan["font_cache_fds"].values()]:
        if fd is not None:
            os.set_inheritable(fd, True)
    if os.getsid(0) != os.getpid():
        os.setsid()  # a session of its own, without a controlling terminal
    try:
        # bubblewrap's own process keeps the environment it is started with: give it none.
        os.execve(plan["bwrap"], bwrap_command(plan, connection_file, kernel_argv), {})
    except OSError as error:
        return _refuse(f"cannot run bubblewrap {plan['bwrap']!r}: {error}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
