"""Reading an uploaded file with a cap, so no upload is held in memory past its limit."""

from __future__ import annotations

from fastapi import UploadFile

from services.common.errors import ApiError


async def read_capped(upload: UploadFile, limit: int, what: str) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "upload_too_large", f"{what} is larger than {limit} bytes")
    return data
