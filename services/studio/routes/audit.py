"""The studio's audit log for the admin (services/database/audit_http.py)."""

from __future__ import annotations

from services.database.audit_http import audit_router
from services.studio.auth import require_admin
from services.studio.models import StudioAuditEntry

router = audit_router("/api/studio", StudioAuditEntry, require_admin, "cnn101-studio-audit.csv")
