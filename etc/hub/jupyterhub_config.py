"""JupyterHub configuration of the conv_backprop course hub (``make hub``).

Everything machine-specific (ports, paths, who is in the course) comes from the settings
file ``autograder.course.hub`` writes, named by ``CONV_BACKPROP_HUB_SETTINGS``; this file
holds the rules, the nbgrader way (nbgrader's docs, "Using nbgrader with JupyterHub"):

- PAM logs in the Unix accounts the hub command made, one per person; every server runs
  as its owner's uid (``LocalProcessSpawner``), in a home only that uid can read;
- the JupyterHub group ``formgrade-<course>`` holds the instructors, ``nbgrader-<course>``
  the students; nbgrader's ``JupyterHubAuthPlugin`` reads them through the server's own
  token to decide who sees the course and who may fetch and submit;
- instructors' servers run the grader environment (formgrader, the trusted grader, the
  jailed grading kernel); everyone else's runs the student environment, where
  ``autograder`` is not installed and every kernel is the student runtime;
- no server inherits the hub's environment: each gets PATH and the hub-wide settings
  only.
"""

import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 -- provided by traitlets when JupyterHub loads this file

settings = json.loads(Path(os.environ["CONV_BACKPROP_HUB_SETTINGS"]).read_text())
state = Path(settings["state"])
course = settings["course_id"]
instructors = list(settings["instructors"])
students = list(settings["students"])
INSTRUCTORS_GROUP = f"formgrade-{course}"
STUDENTS_GROUP = f"nbgrader-{course}"

# ---- network: the public port, the hub's API and the proxy's API, all on one machine
c.JupyterHub.bind_url = f"http://{settings['ip']}:{settings['port']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = settings["hub_port"]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings['proxy_api_port']}"
c.ConfigurableHTTPProxy.command = settings["proxy"]  # [node, configurable-http-proxy]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.ConfigurableHTTPProxy.auth_token = (state / "proxy_token").read_text().strip()

# ---- state: database and cookie secret in the state folder, readable by root only
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
# Servers stop with the hub, so stopping the hub leaves no process of any account.
c.JupyterHub.cleanup_servers = True

# ---- who may log in: PAM on the course's accounts, and nobody else
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = set(instructors + students + settings["guests"])
c.Authenticator.admin_users = set()

# ---- groups and roles for one course, as nbgrader documents them
c.JupyterHub.load_groups = {
    INSTRUCTORS_GROUP: {"users": instructors},
    STUDENTS_GROUP: {"users": students},
}
c.JupyterHub.load_roles = [
    {
        # A server's token: what nbgrader's JupyterHubAuthPlugin needs (the owner's own
        # name and groups), plus, for an instructor (a token never exceeds its owner's
        # rights), adding and removing the course's students.
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            "read:users:name!user",
            "read:users:groups!user",
            "list:groups",
            f"groups!group={STUDENTS_GROUP}",
        ],
    },
    {
        "name": INSTRUCTORS_GROUP,
        "groups": [INSTRUCTORS_GROUP],
        "scopes": ["list:groups", f"groups!group={STUDENTS_GROUP}"],
    },
]
# Roster changes made with `conv-grader hub add-students` while the hub runs go through
# this service's token (readable by root only).
c.JupyterHub.services = [
    {"name": "course-roster", "api_token": (state / "roster_token").read_text().strip()}
]
c.JupyterHub.load_roles.append(
    {
        "name": "course-roster",
        "services": ["course-roster"],
        "scopes": ["admin:users", f"groups!group={STUDENTS_GROUP}", "list:groups"],
    }
)

# ---- the servers: one Unix account each, the environment chosen by role
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# Nothing of the hub's own environment (root's PATH, PYTHONPATH, a virtualenv) reaches a
# server, hence nothing reaches the kernels and jails it starts.
c.Spawner.env_keep = ["LANG", "LC_ALL"]


def choose_environment(spawner):
    """Instructors get the grader environment, everybody else the student one."""
    groups = {group.name for group in spawner.user.groups}
    prefix = settings["grader_env"] if INSTRUCTORS_GROUP in groups else settings["student_env"]
    spawner.cmd = [f"{prefix}/bin/jupyterhub-singleuser"]
    spawner.environment = {
        "PATH": f"{prefix}/bin:/usr/local/bin:/usr/bin:/bin",
        # The hub-wide nbgrader settings (exchange, JupyterHubAuthPlugin, limits).
        "JUPYTER_CONFIG_PATH": settings["jupyter_config"],
        "CONV_BACKPROP_EXCHANGE": settings["exchange"],
    }


c.Spawner.pre_spawn_hook = choose_environment
