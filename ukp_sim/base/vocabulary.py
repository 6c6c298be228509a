"""Names shared by every layer: how result tables label the whole community and a whole year."""
from __future__ import annotations

TOTAL = "Total"  # the `municipality` of rows for the whole community
WHOLE_YEAR = 0  # the `month` of a whole-year row

# The standard study's scenarios in report order: the reference, each intervention alone (ids of
# [interventions]), all of them together. Scenarios not listed come after, in the file's order.
REPORT_ORDER = ("baseline", "discharge_team", "bed_sharing", "early_assessment", "escalation_plan",
                "efficient_korttid", "frailty_pathway", "combined")
