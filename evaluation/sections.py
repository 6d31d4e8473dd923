"""Course sections of one study: their names, the student's choice, the strata suffix.

One study can run in several sections of a course (e.g. "Mon 9:00" and "Tue 14:00"). A
section is taught by its own teacher at its own time, so students of one section resemble
each other: the section is part of the stratum (each section balanced on its own,
evaluation/assignment.py) and the results check the effect with section fixed effects and
standard errors clustered by section (evaluation/analysis_clustered.py).

A participant stores the section's index (0-based) in ``study.sections``: the names are
fixed once the study opens, and the strata strings (``stratum`` String(40), ``sequence``
String(60)) hold a short ``s<index>`` however long the name is. A student's choice is
checked by evaluation/section_choice.py (it raises the API's errors; this module is also
read by the report worker, whose image has no FastAPI).
"""

from __future__ import annotations

from evaluation.models import Study

MAX_SECTIONS = 20
MAX_SECTION_NAME = 40


def check_names(names: list[str]) -> list[str]:
    """Section names as given, or ValueError (pydantic turns it into a 422) saying why."""
    if len(names) > MAX_SECTIONS:
        raise ValueError(f"at most {MAX_SECTIONS} sections, not {len(names)}")
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        if not name.strip() or len(name) > MAX_SECTION_NAME:
            raise ValueError(
                f"section {number}: a name needs 1 to {MAX_SECTION_NAME} characters "
                "(not only spaces)"
            )
        if name != name.strip():
            raise ValueError(f"section {number}: no spaces at the start or end of {name!r}")
        if name.casefold() in seen:
            raise ValueError(f"section {number}: {name!r} is given twice")
        seen.add(name.casefold())
    return names


def names_of(study: Study) -> list[str]:
    """The study's sections; empty when it has none."""
    return list(study.sections or [])


def suffix(section: int | None) -> str:
    """What a section adds to a stratum or sequence name: ``|s<index>``, or nothing."""
    return "" if section is None else f"|s{section}"


def section_name(study: Study, section: int | None) -> str | None:
    names = names_of(study)
    if section is None or not 0 <= section < len(names):
        return None
    return names[section]
