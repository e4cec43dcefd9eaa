"""nbgrader settings every server on the course hub shares (``make hub``).

JupyterHub puts this file's folder on ``JUPYTER_CONFIG_PATH`` for every server it starts
(``etc/hub/jupyterhub_config.py``), students' and instructors' alike, so every fetch,
submit, collect and release on the hub goes through the same exchange with the same
rules. Plain assignments and no imports beyond the standard library: the student
environment has no ``autograder``. The submit plug-in is
``etc/hub/conv_backprop_exchange.py``, installed into both server environments; collect,
which only the instructor runs, is chosen in the course's own config on the hub
(``autograder.course.hub``), which nbgrader reads after this file.
"""

import os

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader loads this file

# The filesystem exchange on this machine: world-writable and sticky at its root, the
# course's own folder made by the hub command for the instructor, so nobody else can
# claim the course's name first. nbgrader makes inbound/ writable but not listable.
c.Exchange.root = os.environ.get("CONV_BACKPROP_EXCHANGE", "/srv/conv-backprop/exchange")
c.Exchange.path_includes_course = True
# Who takes part in which course: the hub's groups nbgrader-<course> (students) and
# formgrade-<course> (instructors), read with the server's own token.
c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
# A submission missing a released notebook (deleted or renamed) is refused, with the
# list of what is missing, instead of reaching the grader incomplete.
c.ExchangeSubmit.strict = True
# A submission (the assignment folder, every file in it) of more than 5 MB is refused,
# with the size, the limit and the largest files in MB; the course's notebooks and
# helpers take about 0.3 MB.
c.CourseDirectory.max_dir_size = 5000  # kB
c.ExchangeFactory.submit = "conv_backprop_exchange.SizeCheckedSubmit"
