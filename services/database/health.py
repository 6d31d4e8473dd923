"""``GET /health`` of a service that keeps a database: ready when the database answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from services.database.dependencies import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """Ready when the database answers ``SELECT 1``."""
    session.execute(text("SELECT 1"))
    return {"status": "ok"}
