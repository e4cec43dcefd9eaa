"""Jupyter server settings every server on the course hub shares (``make hub``).

Read from the same folder as the hub-wide ``nbgrader_config.py`` (``JUPYTER_CONFIG_PATH``).
"""

c = get_config()  # noqa: F821 -- provided by traitlets when Jupyter loads this file

# A terminal runs an interactive, not a login, shell: a login shell's /etc/profile
# replaces PATH, and the terminal would lose the server's environment (nbgrader, and for
# instructors conv-grader).
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}
