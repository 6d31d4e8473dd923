"""Alembic environment of the studio: runs online against the engine handed in."""

from __future__ import annotations

from services.database.migrations import run_online
from services.studio.models import Base

run_online(Base.metadata)
