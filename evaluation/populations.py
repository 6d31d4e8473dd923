"""Which students each table of the results describes, stated beside it.

The tables do not all describe the same students: the outcome analysis uses complete cases,
the intention-to-treat analysis every randomised student, the item statistics everyone who
took a form. The results carry these labels, and the report and the dashboard print them.
"""

from __future__ import annotations

COMPLETE_CASES = "complete cases: assigned students who started the post-test"
POPULATIONS = {
    "conditions": COMPLETE_CASES,
    "ancova": COMPLETE_CASES,
    "ancova_detail": COMPLETE_CASES,
    "gain_test": COMPLETE_CASES,
    "gain_rank_test": COMPLETE_CASES,
    "itt": "intention to treat: every randomised student who did not withdraw, in the "
    "assigned condition; a missing post-test counted as the pre-test score",
    "section_sensitivity": COMPLETE_CASES,
    "concepts": "every answer of assigned students, whether or not they finished",
    "items": "every student who took the form in that phase (complete or not)",
    "reliability": "every student who took the form in that phase (complete or not)",
    "questionnaire": "assigned students who answered the questionnaire",
    "flow": "everyone who joined",
}
