"""The instructor's material for the conventional arm: upload, list, view, delete, and a
study's choice of it (evaluation/materials.py).

The upload is the raw file as the request body (no multipart: the gateway streams it on
as it arrives, services/gateway/routes/material.py), its title and file name in the query.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from evaluation import material_store, materials
from evaluation.audit import Action, record
from evaluation.auth import InstructorDep
from evaluation.deps import NowDep, RowId, SessionDep, SettingsDep
from evaluation.material_schemas import MaterialPublic, StudyMaterialChoice, StudyMaterialState
from evaluation.models import Material
from evaluation.settings import EvaluationSettings
from evaluation.studies import owned_study
from services.common.errors import ApiError

router = APIRouter(prefix="/api/instructor", tags=["materials"])
UPLOAD_PATH = "/api/instructor/materials"
RAW_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("application/pdf", "video/mp4", "video/webm")
        },
    }
}


def _clean(text: str, field: str) -> str:
    text = text.strip()
    if "\x00" in text:
        raise ApiError(422, "invalid_request", f"{field}: NUL characters are not allowed")
    return text


@router.post("/materials", status_code=201, openapi_extra=RAW_BODY)
async def upload_material(
    *,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    title: Annotated[str, Query(min_length=1, max_length=200)],
    filename: Annotated[str, Query(max_length=255)] = "",
) -> MaterialPublic:
    """Upload a PDF (at most 50 MB) or an MP4/WebM video (500 MB; both configurable), typed
    by its content; over the limit 413, another type 415, and nothing is stored."""
    title, filename = _clean(title, "title"), _clean(filename, "filename")
    if not title:
        raise ApiError(422, "invalid_request", "title: give the material a title")
    owner_id = instructor.id
    # No database connection is held while the file streams in (it may take minutes).
    await run_in_threadpool(session.rollback)
    received = await material_store.receive(http_request.stream(), settings)

    def store() -> MaterialPublic:
        try:
            material_store.keep(received, settings)
        except BaseException:
            material_store.discard(received)
            raise
        material = Material(
            owner_id=owner_id,
            title=title,
            kind=received.kind.kind,
            media_type=received.kind.media_type,
            size_bytes=received.size,
            sha256=received.sha256,
            original_filename=filename or f"material.{received.kind.media_type.split('/')[1]}",
            uploaded_at=now,
        )
        session.add(material)
        session.flush()  # its id, for the audit entry committed with it
        record(
            session,
            http_request,
            now,
            Action.MATERIAL_UPLOAD,
            instructor=instructor,
            target=f"material {material.id}",
            detail={"kind": material.kind, "size_bytes": material.size_bytes},
        )
        session.commit()
        return materials.material_public(session, material)

    return await run_in_threadpool(store)


@router.get("/materials")
def list_materials(instructor: InstructorDep, session: SessionDep) -> list[MaterialPublic]:
    """The instructor's uploads (the admin: everyone's)."""
    return [materials.material_public(session, m) for m in materials.visible(session, instructor)]


@router.get(
    "/materials/{material_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}, "video/mp4": {}, "video/webm": {}}}},
)
def view_material(
    material_id: RowId, instructor: InstructorDep, session: SessionDep, settings: SettingsDep
) -> FileResponse:
    """The uploaded bytes, to check them (Range requests answered: a video seeks)."""
    material = materials.owned_material(session, instructor, material_id)
    return file_response(material.sha256, material.kind, material.media_type, settings)


def file_response(
    sha256: str, kind: str, media_type: str, settings: EvaluationSettings
) -> FileResponse:
    """The stored file, private to whoever asked, never sniffed, a PDF shown inline."""
    path = material_store.stored_path(sha256, settings)
    if not path.is_file():
        raise ApiError(404, "material_missing", "the material's file is missing on the server")
    extension = "pdf" if kind == "pdf" else media_type.split("/")[1]
    return FileResponse(
        path,
        media_type=media_type,
        filename=f"material.{extension}",
        content_disposition_type="inline",
        headers={"Cache-Control": "private, max-age=0", "X-Content-Type-Options": "nosniff"},
    )


@router.delete("/materials/{material_id}", status_code=204)
def delete_material(
    *,
    material_id: RowId,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
) -> Response:
    """Delete an upload no study uses (409 while one does: its students need it and its
    results name it)."""
    material = materials.owned_material(session, instructor, material_id)
    if materials.in_use(session, material.id):
        raise ApiError(
            409, "material_in_use", "a study uses this material; choose another for it first"
        )
    sha256 = material.sha256
    session.delete(material)
    record(
        session,
        http_request,
        now,
        Action.MATERIAL_DELETE,
        instructor=instructor,
        target=f"material {material_id}",
    )
    session.commit()
    if not materials.sha_still_used(session, sha256):
        material_store.remove(sha256, settings)
    return Response(status_code=204)


@router.get("/studies/{study_id}/material")
def get_study_material(
    study_id: RowId, instructor: InstructorDep, session: SessionDep
) -> StudyMaterialState:
    """What the study's conventional arm studies (the built-in tutorial unless chosen)."""
    return materials.state(session, owned_study(session, instructor, study_id))


@router.put("/studies/{study_id}/material")
def choose_study_material(
    *,
    study_id: RowId,
    request: StudyMaterialChoice,
    http_request: Request,
    instructor: InstructorDep,
    session: SessionDep,
    now: NowDep,
) -> StudyMaterialState:
    """Choose the conventional arm's material while the study is a draft (409 after)."""
    study = owned_study(session, instructor, study_id)
    materials.choose(session, instructor, study, request.material_id)
    record(
        session,
        http_request,
        now,
        Action.STUDY_UPDATE,
        instructor=instructor,
        target=f"study {study.id}",
        detail={"fields": ["material"], "material_id": request.material_id},
    )
    session.commit()
    return materials.state(session, study)
