"""/documents and /documents/{document_id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from app import queries, schemas
from app.actor_index import ActorIndex
from app.api.deps import only_params, open_session
from app.api.problems import NOT_FOUND_RESPONSE, ProblemError, problem_responses
from app.assemble import actor_ref

router = APIRouter(tags=["documents"])


def _summary_fields(index: ActorIndex, r: Any) -> dict[str, Any]:
    return {
        "id": r.id, "file_name": r.file_name, "title": r.title,
        "outlet": actor_ref(index, r.outlet_id) if r.outlet_id else None,
        "outlet_evidence": r.outlet_evidence, "url": r.url, "language": r.language,
        "published": schemas.DateInfo(
            edtf=r.published, earliest=r.published_earliest, latest=r.published_latest,
            precision=r.published_precision, approximate=False, uncertain=False,
        ),
        "published_basis": r.published_basis, "published_confidence": r.published_confidence,
        "published_evidence": r.published_evidence, "notes": r.notes, "sha256": r.sha256,
        "claim_count": r.claim_count,
    }  # fmt: skip


@router.get(
    "/documents",
    operation_id="listDocuments",
    summary="List source documents (metadata, without the text)",
    response_model=list[schemas.DocumentSummary],
    response_description="Every document's metadata, earliest published first",
    responses=problem_responses(503),
    dependencies=[Depends(only_params())],
)
def list_documents(request: Request) -> list[schemas.DocumentSummary]:
    with open_session(request) as s:
        rows = queries.documents(s.conn)
        return [schemas.DocumentSummary(**_summary_fields(s.index, r)) for r in rows]


@router.get(
    "/documents/{document_id}",
    operation_id="getDocument",
    summary="Get one document with its full text",
    response_model=schemas.DocumentFull,
    response_description="The document's metadata and full text",
    responses=NOT_FOUND_RESPONSE,
    dependencies=[Depends(only_params())],
)
def get_document(
    document_id: Annotated[
        str, Path(description="The document's id", examples=["000_d40e8277d782d5f4"])
    ],
    request: Request,
) -> schemas.DocumentFull:
    with open_session(request) as s:
        rows = queries.documents(s.conn, document_id)
        if not rows:
            detail = f"no document with id {document_id!r}; see /documents"
            raise ProblemError(404, "not-found", detail)
        return schemas.DocumentFull(**_summary_fields(s.index, rows[0]), text=rows[0].text)
