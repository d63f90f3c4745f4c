"""Controlled vocabularies shared by the seed files, the database and the API."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class EventType(StrEnum):
    """What kind of happening an event is: `deployment` (troops sent or present somewhere),
    `casualties` (killed or wounded), `combat`, `training`, `diplomatic_reaction` (a
    government's response), `statement` (a declaration that is itself the news), `denial`,
    `agreement` (a treaty or pact), `arms_transfer`, `intelligence_assessment` (an
    intelligence service's finding), `summit` (a meeting of leaders), `desertion`,
    `analysis` (an expert's or outlet's reading of the situation)."""

    deployment = "deployment"
    casualties = "casualties"
    combat = "combat"
    training = "training"
    diplomatic_reaction = "diplomatic_reaction"
    statement = "statement"
    denial = "denial"
    agreement = "agreement"
    arms_transfer = "arms_transfer"
    intelligence_assessment = "intelligence_assessment"
    summit = "summit"
    desertion = "desertion"
    analysis = "analysis"


class Facet(StrEnum):
    """What /events/facets can count by: the event's `type`, the `year`s its date overlaps,
    its `actor`s and its claims' `claimant`s (an actor's count includes its sub-actors')."""

    type = "type"
    year = "year"
    actor = "actor"
    claimant = "claimant"


class DateMatch(StrEnum):
    """How an event's date interval must meet a `from`/`to` range: `overlap` (any day in
    common) or `within` (wholly inside the range)."""

    overlap = "overlap"
    within = "within"


class ContextFilter(StrEnum):
    """Which events `context=` keeps, by whether they are background (an event's
    `context`): `exclude` the news alone, `only` the background alone. Not given: both."""

    exclude = "exclude"
    only = "only"


class Order(StrEnum):
    """Which way a listing runs: `asc` (oldest first, the default) or `desc` (newest first):
    by the event's earliest date, then id (on /figures, by the day a figure became known)."""

    asc = "asc"
    desc = "desc"


class ActorKind(StrEnum):
    """What sort of actor this is. `unattributed` is the one pseudo-actor that claims a
    document's own narration when its outlet is unknown; `coalition` is a grouping of states
    (such as "the West"); `group` an unnamed collective (a country's officials, experts)."""

    state = "state"
    armed_force = "armed_force"
    government_agency = "government_agency"
    government_body = "government_body"
    legislature = "legislature"
    international_organisation = "international_organisation"
    person = "person"
    news_outlet = "news_outlet"
    group = "group"
    coalition = "coalition"
    unattributed = "unattributed"


class Role(StrEnum):
    """The actor's part in an event: `agent` (acts: sends, fights, declares), `partner`
    (acts with the agent), `target` (acted against), `recipient` (receives: troops, arms,
    support), `subject` (what the event is about, without acting in it)."""

    agent = "agent"
    partner = "partner"
    target = "target"
    recipient = "recipient"
    subject = "subject"


class Stance(StrEnum):
    """Whether the claim affirms or rejects its event: `asserts`, `denies`, or `neither`
    (neither confirms nor denies, as in "ne confirme ni ne nie")."""

    asserts = "asserts"
    denies = "denies"
    neither = "neither"


class DisputeKind(StrEnum):
    """Why two claims of an event dispute it: a `denial` (one denies what the other asserts)
    or `figures` (both assert figures of one quantity and unit whose ranges do not meet)."""

    denial = "denial"
    figures = "figures"


class Hedge(StrEnum):
    """How firmly the document attributes the claim, from firmest to weakest: `confirmed`
    (the claimant says it is established), `asserted` (a plain statement), `estimated` (an
    estimate or assessment: "estiment"), `reported` (relayed: "selon", "a rapporté"),
    `alleged` (conditional or doubted: "auraient", "prétendue"), `expected` (about the
    future: "devrait", "probablement"), `speculative` ("pourrait", "possiblement")."""

    confirmed = "confirmed"
    asserted = "asserted"
    estimated = "estimated"
    reported = "reported"
    alleged = "alleged"
    expected = "expected"
    speculative = "speculative"


# A bit per hedge, for sets of hedges held in one integer (actor_events.hedge_mask). New
# hedges take the next bit: stored masks keep their meaning only while these do not move.
HEDGE_BITS = {hedge: 1 << i for i, hedge in enumerate(Hedge)}


def hedge_mask(hedges: Iterable[str]) -> int:
    mask = 0
    for hedge in hedges:
        mask |= HEDGE_BITS[Hedge(hedge)]
    return mask


class Quantity(StrEnum):
    """What a figure counts: troops sent, present, pledged, trained, additional (beyond an
    earlier figure), killed or wounded, deserted, or in one group; a number of brigades or
    a brigade's size; Russia's total losses, or its casualties per day."""

    troops_sent = "troops_sent"
    troops_present = "troops_present"
    troops_pledged = "troops_pledged"
    troops_trained = "troops_trained"
    troops_additional = "troops_additional"
    troops_killed_or_wounded = "troops_killed_or_wounded"
    troops_deserted = "troops_deserted"
    troops_in_group = "troops_in_group"
    brigade_count = "brigade_count"
    brigade_size = "brigade_size"
    russian_losses_total = "russian_losses_total"
    russian_casualties_per_day = "russian_casualties_per_day"


class Qualifier(StrEnum):
    """How a figure's words bound it, and so which of `low` and `high` are set: `exact` and
    `about` set both, equal; `at_least` and `more_than` set `low`; `up_to` sets `high`;
    `range` sets both; `vague` ("des milliers") sets `low` to the order of magnitude, the
    words being in `text`."""

    exact = "exact"
    about = "about"
    at_least = "at_least"
    more_than = "more_than"
    up_to = "up_to"
    range = "range"
    vague = "vague"


class Unit(StrEnum):
    """What a figure's number is of: `soldiers`, `brigades` or `casualties`."""

    soldiers = "soldiers"
    brigades = "brigades"
    casualties = "casualties"


class Precision(StrEnum):
    """How precisely a date is known: `day`, `month`, `season` (meteorological, northern
    hemisphere: autumn is September to November, winter 2024 is December 2024 to February
    2025), `year`, or `range` (an EDTF interval `A/B` between two such dates)."""

    day = "day"
    month = "month"
    season = "season"
    year = "year"
    range = "range"


class Confidence(StrEnum):
    """How sure the curators are of a document's publication date: `high`, `medium`,
    `low`."""

    high = "high"
    medium = "medium"
    low = "low"


class DateBasis(StrEnum):
    """Where a document's publication date comes from: `stated` (the text gives it) or
    `inferred` (deduced from what the text reports; `published_evidence` says how)."""

    stated = "stated"
    inferred = "inferred"


class RecordKind(StrEnum):
    """The records /changes reports: `events`, `claims`, `actors`, `documents` (each the
    path that lists or returns it)."""

    actors = "actors"
    claims = "claims"
    documents = "documents"
    events = "events"


class ChangeType(StrEnum):
    """What a load did to a record: `created` (added after `since`, or added again after a
    removal), `updated` (changed after `since`: anything its JSON shows) or `removed`."""

    created = "created"
    updated = "updated"
    removed = "removed"
