"""HTML reports. The audit report is self-contained HTML with inline SVG charts (no plotting
library needed); :func:`render_audit_html` builds it from a :class:`prefrank.consistency.Audit`."""

from prefrank.report.audit import render_audit_html

__all__ = ["render_audit_html"]
