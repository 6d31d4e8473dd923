"""A consenting student's choice of course section, checked against the study's list."""

from __future__ import annotations

from evaluation.models import Study
from evaluation.sections import names_of
from services.common.errors import ApiError


def chosen_section(study: Study, section: int | None, participating: bool) -> int | None:
    """The section a consenting student picked, checked against the study's list.

    Required to participate when the study has sections; an index the study does not have
    is refused (422), so nothing is stored.
    """
    names = names_of(study)
    if section is None:
        if participating and names:
            raise ApiError(
                422,
                "section_required",
                "choose your course section (" + ", ".join(names) + ")",
            )
        return None
    if not 0 <= section < len(names):
        known = f"0 to {len(names) - 1}" if names else "none: this study has no sections"
        raise ApiError(422, "unknown_section", f"section {section} does not exist ({known})")
    return section if participating else None
