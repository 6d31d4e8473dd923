"""Alembic environment of the study: runs online against the engine handed in."""

from __future__ import annotations

from evaluation.models import Base
from services.database.migrations import run_online

run_online(Base.metadata)
