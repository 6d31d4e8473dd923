"""The study's audit log for the admin (services/database/audit_http.py)."""

from __future__ import annotations

from evaluation.auth import require_admin
from evaluation.models import AuditEntry
from services.database.audit_http import audit_router

router = audit_router("/api/instructor", AuditEntry, require_admin, "cnn101-study-audit.csv")
