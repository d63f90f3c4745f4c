"""/actors and /actors/{actor_id}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from app import queries, schemas
from app.actor_index import ActorIndex
from app.aliases import normalize_name
from app.api.deps import only_params, open_session
from app.api.problems import NOT_FOUND_RESPONSE, ProblemError, problem_responses
from app.vocab import ActorKind

router = APIRouter(tags=["actors"])


def _actors(conn: Any, index: ActorIndex, rows: Any) -> list[schemas.Actor]:
    aliases = queries.aliases(conn, [r.id for r in rows])
    return [
        schemas.Actor(
            id=r.id, name=r.name, kind=r.kind, parent_id=r.parent_id, iso3=r.iso3,
            wikidata=r.wikidata,
            aliases=[schemas.Alias(name=a.name, lang=a.lang) for a in aliases.get(r.id, [])],
            children=list(index.children.get(r.id, [])),
        )
        for r in rows
    ]  # fmt: skip


@router.get(
    "/actors",
    operation_id="listActors",
    summary="List actors with their aliases",
    response_model=list[schemas.Actor],
    response_description="The matching actors, by id",
    responses=problem_responses(422, 503),
    dependencies=[Depends(only_params("kind", "q"))],
)
def list_actors(
    request: Request,
    kind: Annotated[ActorKind | None, Query(description="Only actors of this kind")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Matches ids and aliases, case- and accent-insensitive, "
            "anywhere in the name",
            examples=["corée"],
        ),
    ] = None,
) -> list[schemas.Actor]:
    kind_value = kind.value if kind else None
    with open_session(request) as s:
        if q is not None:
            rows = queries.actors_matching(s.conn, normalize_name(q), kind_value)
        else:
            rows = queries.actors(s.conn, kind_value)
        return _actors(s.conn, s.index, rows)


@router.get(
    "/actors/{actor_id}",
    operation_id="getActor",
    summary="Get one actor",
    response_model=schemas.Actor,
    response_description="The actor, with its aliases, parent and sub-actors",
    responses=NOT_FOUND_RESPONSE,
    dependencies=[Depends(only_params())],
)
def get_actor(
    actor_id: Annotated[
        str, Path(description="The actor's id (not an alias)", examples=["kor-nis"])
    ],
    request: Request,
) -> schemas.Actor:
    with open_session(request) as s:
        if actor_id not in s.index.actors:
            hints = ", ".join(f"{a.id!r}" for a in s.index.suggest(actor_id))
            detail = f"no actor with id {actor_id!r}" + (
                f"; did you mean {hints}?" if hints else ""
            )
            raise ProblemError(404, "not-found", detail)
        rows = queries.actors(s.conn, None, actor_id)
        return _actors(s.conn, s.index, rows)[0]
