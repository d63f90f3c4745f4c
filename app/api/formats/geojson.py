"""GeoJSON (`application/geo+json`, RFC 7946): a FeatureCollection with one Feature per
event that has a place, `[lon, lat]`, its properties /timeline's compact view of the event
plus the place's name; a place without coordinates has `geometry: null`. Events with no
place are left out."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from app.api.formats.stream import Json, Selection
from app.assemble import build_timeline_groups

MEDIA_TYPE = "application/geo+json"
EXTENSION = "geojson"


def render(selection: Selection) -> Iterator[bytes]:
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for events in selection.event_pages():
        features = [orjson.dumps(f) for f in features_of(events)]
        if features:
            yield (b"" if first else b",") + b",".join(features)
            first = False
    yield b"]}"


def features_of(events: list[Json]) -> Iterator[Json]:
    compact = {item["id"]: item for g in build_timeline_groups(events) for item in g["events"]}
    for event in events:
        place = event["location"]
        if place is None:
            continue
        geometry = None
        if place["lat"] is not None and place["lon"] is not None:
            geometry = {"type": "Point", "coordinates": [place["lon"], place["lat"]]}
        properties = {**compact[event["id"]], "place": place["name"]}
        yield {"type": "Feature", "id": event["id"], "geometry": geometry, "properties": properties}
