"""Planning a study: what a class of the expected size can detect, before it is created."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from evaluation.auth import InstructorDep
from evaluation.power import PowerPlan, plan

router = APIRouter(prefix="/api/instructor/planning", tags=["planning"])


@router.get("/power")
def power_plan(
    instructor: InstructorDep,
    students: Annotated[int, Query(ge=6, le=10_000, description="students expected to finish")],
    pretest_correlation: Annotated[float, Query(ge=0.0, le=0.95)] = 0.5,
    alpha: Annotated[float, Query(ge=0.001, le=0.2)] = 0.05,
    power: Annotated[float, Query(ge=0.5, le=0.99)] = 0.8,
) -> PowerPlan:
    """The minimum detectable effect and the power for small, medium and large effects."""
    del instructor  # signed-in instructors only; nothing is stored
    return plan(students, alpha=alpha, power=power, pretest_correlation=pretest_correlation)
