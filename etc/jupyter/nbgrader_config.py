"""Fail-closed guard for the conv-backprop trusted grader.

``make setup`` puts this file in ``<environment>/etc/jupyter/``, a
directory nbgrader reads *before* the course's own ``nbgrader_config.py``. nbgrader
only logs an exception in a config file and grades on with whatever else loaded, so
without this guard a broken course config would mean stock grading: hidden tests in the
student's kernel, which a student can fool.

Here autograding is nbgrader's own, with one step before Execute that refuses a
notebook carrying this course's probes (``conv_probe``): other courses graded from this
environment grade as stock nbgrader does, this course's notebooks are never graded
stock. Feedback hides hidden tests, and the HTML a submission brings to formgrader and
feedback is sanitised. The course config (``autograder.verify.config.configure``)
overrides all of this, but only if it loads without error. Plain strings, no imports:
this file itself cannot fail.
Keep the lists equal to ``GUARD_AUTOGRADE`` and ``SAFE_FEEDBACK`` in
``autograder/verify/config.py`` and the filters equal to ``SANITISER_FILTERS`` in
``autograder/verify/safe_html.py`` (``tests/verify/test_config.py`` checks it).
"""

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader loads this file

c.Autograde.autograde_preprocessors = [
    "autograder.verify.preprocessors.RefuseToGrade",
    "nbgrader.preprocessors.Execute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.verify.bonus.BonusInFeedback",
    "autograder.verify.hide_hidden_tests.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.filters = {
    "markdown2html": "autograder.verify.safe_html.SanitisedMarkdown",
    "clean_html": "autograder.verify.safe_html.sanitise",
}
