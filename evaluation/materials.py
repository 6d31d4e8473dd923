"""The conventional arm's uploaded material in the database: whose it is, which study
uses it, and the choice a draft study makes.

Ownership follows studies: an instructor sees and changes their own uploads, the admin
everyone's; anyone else's is answered as if it did not exist (404).
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from evaluation.material_citation import material_citation
from evaluation.material_schemas import MaterialPublic, StudyMaterialState
from evaluation.models import Instructor, Material, Study, StudyMaterial
from services.common.errors import ApiError


def visible(session: Session, instructor: Instructor) -> list[Material]:
    query = select(Material).order_by(Material.id)
    if not instructor.is_admin:
        query = query.where(Material.owner_id == instructor.id)
    return list(session.scalars(query))


def owned_material(session: Session, instructor: Instructor, material_id: int) -> Material:
    """The material if ``instructor`` owns it or is the admin; another's does not exist."""
    material = session.get(Material, material_id)
    if material is None or not (instructor.is_admin or material.owner_id == instructor.id):
        raise ApiError(404, "unknown_material", f"no material {material_id}")
    return material


def in_use(session: Session, material_id: int) -> bool:
    return bool(session.scalar(select(exists().where(StudyMaterial.material_id == material_id))))


def material_public(session: Session, material: Material) -> MaterialPublic:
    return MaterialPublic(
        id=material.id,
        title=material.title,
        kind="pdf" if material.kind == "pdf" else "video",
        media_type=material.media_type,
        size_bytes=material.size_bytes,
        sha256=material.sha256,
        original_filename=material.original_filename,
        uploaded_at=material.uploaded_at,
        owner_email=material.owner.email,
        in_use=in_use(session, material.id),
    )


def study_material(session: Session, study_id: int) -> Material | None:
    chosen = session.get(StudyMaterial, study_id)
    return None if chosen is None else chosen.material


def state(session: Session, study: Study) -> StudyMaterialState:
    material = study_material(session, study.id)
    return StudyMaterialState(
        study_id=study.id,
        material=None if material is None else material_public(session, material),
        editable=study.status == "draft",
        citation=material_citation(session, study.id),
    )


def choose(session: Session, instructor: Instructor, study: Study, material_id: int | None) -> None:
    """Set the draft ``study``'s material (None: the built-in tutorial); the caller commits.
    Only a material the instructor may see (their own; the admin: any) can be chosen."""
    if study.status != "draft":
        raise ApiError(
            409, "study_not_draft", "the material is fixed once the study opens (draft only)"
        )
    if material_id is not None:
        owned_material(session, instructor, material_id)
    current = session.get(StudyMaterial, study.id)
    if material_id is None:
        if current is not None:
            session.delete(current)
    elif current is None:
        session.add(StudyMaterial(study_id=study.id, material_id=material_id))
    else:
        current.material_id = material_id
    session.flush()


def sha_still_used(session: Session, sha256: str) -> bool:
    """Another upload (any instructor's) with the same bytes keeps the file."""
    return bool(session.scalar(select(exists().where(Material.sha256 == sha256))))
