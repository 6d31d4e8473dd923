"""The built-in forms as releases before issue 18 part 5 seeded them (13 items a form).

Tests of old databases (migrations, the start-up refresh) use these, not today's
``DEFAULT_ITEMS``: a bank seeded back then held exactly these rows.
"""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.schemas import ItemData

OLD_ITEMS: list[ItemData] = [
    ItemData.model_validate(data)
    for data in json.loads(
        (Path(__file__).parent / "data" / "builtin_items_2026_v1.json").read_text(encoding="utf-8")
    )["items"]
]
