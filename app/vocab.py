"""Controlled vocabularies shared by the seed files, the database and the API."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
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
    """What /events/facets can count by (app/facets.py)."""

    type = "type"
    year = "year"
    actor = "actor"
    claimant = "claimant"


class ActorKind(StrEnum):
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
    agent = "agent"
    partner = "partner"
    target = "target"
    recipient = "recipient"
    subject = "subject"


class Stance(StrEnum):
    asserts = "asserts"
    denies = "denies"
    neither = "neither"


class Hedge(StrEnum):
    confirmed = "confirmed"
    asserted = "asserted"
    estimated = "estimated"
    reported = "reported"
    alleged = "alleged"
    expected = "expected"
    speculative = "speculative"


class Quantity(StrEnum):
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
    exact = "exact"
    about = "about"
    at_least = "at_least"
    more_than = "more_than"
    up_to = "up_to"
    range = "range"
    vague = "vague"


class Unit(StrEnum):
    soldiers = "soldiers"
    brigades = "brigades"
    casualties = "casualties"


class Precision(StrEnum):
    day = "day"
    month = "month"
    season = "season"
    year = "year"
    range = "range"


class Confidence(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class DateBasis(StrEnum):
    stated = "stated"
    inferred = "inferred"
