"""Business definitions shared by the jobs, the Hive views and the dashboards; no heavy imports.

The Hive views spell the same bands and categories in SQL (``hive/views/10_v_transactions.hql``);
``tests/test_hive.py`` and ``tests/test_dashboards.py`` check that both agree.
"""

from __future__ import annotations

# Age bands used by the dashboards and the analyst views; "unknown" when no plausible birth date.
AGE_BANDS = ((18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"), (55, 64, "55-64"))
OLDEST_BAND = (65, "65+")
UNKNOWN_AGE_BAND = "unknown"

# Parts of the day by transaction hour, as a branch's CRM team reads them.
DAYPARTS = (("night", 0, 5), ("morning", 6, 11), ("afternoon", 12, 17), ("evening", 18, 23))

# Amount categories of the seed's "customers per amount category" chart, in INR: each label holds
# the amounts under its bound; the top category holds the rest.
AMOUNT_CATEGORIES = (("Low", 500), ("Medium", 5000))
TOP_AMOUNT_CATEGORY = "High"

# The segment of a customer no champion model has scored yet, in the dashboards' activity.
NOT_SCORED = -1
