"""The GP summary page: server-rendered HTML with inline SVG charts, no JavaScript."""

from mobile_api.web.charts import sparkline_svg
from mobile_api.web.summary_page import render_summary_html

__all__ = ["render_summary_html", "sparkline_svg"]
