"""Who is calling: the study service knows the instructors, so the studio asks it.

The browser's session cookie goes, as it came, to the study's ``GET /api/instructor/me``;
its answer (200 with the instructor, 401) decides. Nothing is cached, so a logout or an
expired session ends studio access at once. The studio reads no table of the study's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, cast

import httpx
from fastapi import Depends, Request

from services.common.errors import ApiError

logger = logging.getLogger(__name__)
WHO_IS_IT = "/api/instructor/me"


@dataclass(frozen=True)
class Instructor:
    id: int
    email: str
    # The study service's admin (its first instructor) acts on every studio resource.
    is_admin: bool = False

    def may_act_on(self, owner_id: int | None) -> bool:
        """Whether this instructor may see or change a resource of ``owner_id``.

        A resource without an owner (made before owners existed) is the admin's alone.
        """
        return self.is_admin or (owner_id is not None and owner_id == self.id)


async def current_instructor(request: Request) -> Instructor:
    cookie = request.headers.get("cookie")
    if not cookie:
        raise ApiError(401, "not_authenticated", "instructor login required")
    client = cast(httpx.AsyncClient, request.app.state.evaluation)
    try:
        answer = await client.get(WHO_IS_IT, headers={"cookie": cookie})
    except httpx.HTTPError as error:
        logger.warning("study service unreachable for a sign-in check: %s", error)
        raise ApiError(
            503,
            "study_unavailable",
            "sign-ins cannot be checked right now; try again in a moment",
            {"Retry-After": "2"},
        ) from None
    if answer.status_code in (401, 403):
        raise ApiError(401, "not_authenticated", "session invalid or expired")
    if answer.status_code != 200:
        logger.warning("study service answered %s to a sign-in check", answer.status_code)
        raise ApiError(503, "study_unavailable", "sign-ins cannot be checked right now; try again")
    body = answer.json()
    return Instructor(
        id=int(body["id"]), email=str(body["email"]), is_admin=body.get("role") == "admin"
    )


InstructorDep = Annotated[Instructor, Depends(current_instructor)]


async def require_admin(instructor: InstructorDep) -> Instructor:
    """The admin's session; another instructor gets 403 (the access table reads this name)."""
    if not instructor.is_admin:
        raise ApiError(403, "admin_only", "only the admin (the first instructor) may do this")
    return instructor


AdminDep = Annotated[Instructor, Depends(require_admin)]
