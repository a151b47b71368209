"""Presentation of reports for people: the self-contained HTML page."""

from trueclaim.reporting.html import NamedFile, render_report_html

__all__ = ["NamedFile", "render_report_html"]
