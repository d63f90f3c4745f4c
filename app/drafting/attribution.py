"""Who a segment's claim belongs to: attribution cues resolved through the actor aliases.

Cues: "selon X", "d'après X", "de l'avis de X"; a speech or assessment verb with X as its
subject ("X a déclaré", "X affirme", "X estiment") or inverted after the statement
(", a déclaré X", "affirment-ils"); "citant X" and "informés par X" name the source behind
the speaker. With no cue the claim is the document's own narration: its outlet's, or
`unattributed` when the outlet is unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.drafting.actors import ActorAliases, Mention

_PAST = (
    "déclaré|affirmé|estimé|confirmé|démenti|nié|annoncé|indiqué|rapporté|reconnu|noté|"
    "souligné|assuré|expliqué|ajouté|précisé|constaté|prétendu|averti|révélé|dit|interprété|"
    "condamné|jugé|considéré|admis|démontré|signalé|répété|insisté|martelé|prévenu|écrit|"
    "demandé|appelé|exhorté|dénoncé|qualifié|réclamé|déploré|salué"
)
_PRESENT = (
    "déclare|déclarent|affirme|affirment|estime|estiment|confirme|confirment|dément|démentent|"
    "nie|nient|annonce|annoncent|indique|indiquent|rapporte|rapportent|reconnaît|reconnait|"
    "reconnaissent|souligne|soulignent|assure|assurent|explique|expliquent|ajoute|ajoutent|"
    "précise|précisent|constate|constatent|prétend|prétendent|avertit|avertissent|dit|disent|"
    "craint|craignent|pense|pensent|croit|croient|juge|jugent|considère|considèrent|"
    "soupçonne|soupçonnent|accuse|accusent|redoute|redoutent|écrit|écrivent"
)
_AUX = (
    r"(?:a|ont|avait|avaient|aurait|auraient|a\s+également|ont\s+également|a\s+aussi|ont\s+aussi)"
)
_VERB = re.compile(
    rf"\b(?:{_AUX}\s+(?:[\w'’]+\s+)?(?P<past>{_PAST})|(?P<present>{_PRESENT}))(?P<inv>-(?:t-)?(?:il|ils|elle|elles))?\b",
    re.IGNORECASE,
)
# "a-t-il déclaré", "ont-ils ajouté": the previous speaker goes on.
_PRONOUN_INVERTED = re.compile(
    rf"\b(?:a-t-(?:il|elle)|ont-(?:ils|elles))\s+(?:[\w'’]+\s+)?(?:{_PAST})\b", re.IGNORECASE
)
_GLUED_AUX = re.compile(rf"a\s+(?:[\w'’]+\s+)?(?P<past>{_PAST})(?P<inv>(?!))?\b", re.IGNORECASE)
_ORIGIN = re.compile(r"citant|informés? par|d['’]après des informations", re.IGNORECASE)
_SOURCE_WORD = re.compile(
    r"\b(?:selon|d['’]après|de l['’]avis d(?:e|u|es)|citant|informés? par|"
    r"d['’]après des informations d(?:e|u|es))\s+(?!lesquel|laquelle|lequel)",
    re.IGNORECASE,
)
# The subject of a verb starts after the last of these before it.
_SUBJECT_START = re.compile(r"(?:\bque\b|\bqu['’]|;|:|\btandis que\b|\blorsque\b)", re.IGNORECASE)
# A speaker's words: a name ("Jens Stoltenberg") or a determiner and up to five words
# ("le chef de l'OTAN"), not a pronoun.
_NAMED = re.compile(
    r"(?:(?:le|la|les|l['’]|un|une|des|du|certains|plusieurs)\s*(?:[\w'’-]+\s*){1,5}"
    r"|(?-i:[A-ZÀ-Ý][\w'’-]+)(?:\s+(?-i:[A-ZÀ-Ý][\w'’-]+)){0,3})",
    re.IGNORECASE,
)
_THAT = re.compile(r"\bque\b|\bqu['’]", re.IGNORECASE)
_PRONOUN_SUBJECT = re.compile(r"^\W*(?:il|ils|elle|elles)\s*$", re.IGNORECASE)
_COORDINATION = re.compile(r"^\s*(?:,|et)\s*(?:l['’]|la\s+|le\s+|les\s+|des\s+)?$", re.IGNORECASE)
_DISTRIBUTED = re.compile(r"(?:\s*,\s*|\s+et\s+)([\w’'-]+)")
_NEWS = "news_outlet"


@dataclass
class Attribution:
    claimants: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)
    cue: str | None = None  # the words that attributed it
    words: str | None = None  # the claimant as written
    inherited: bool = False  # taken from the previous segment (pronoun, list)
    resolved: bool = True


def _distribute(text: str, mention: Mention, aliases: ActorAliases) -> list[str]:
    """'responsables ukrainiens, sud-coréens et américains': one actor per adjective."""
    head = text[mention.start : mention.end].split()
    out = [mention.actor]
    if len(head) < 2:
        return out
    pos = mention.end
    while (match := _DISTRIBUTED.match(text, pos)) is not None:
        actor = aliases.resolve(f"{head[0]} {match.group(1)}")
        if actor is None:
            break
        if actor not in out:
            out.append(actor)
        pos = match.end()
    return out


def _subject(mentions: list[Mention], text: str) -> list[Mention]:
    """The mentions naming the subject: a person in apposition wins ('le porte-parole …,
    John Kirby,'), else the first (the head of 'le NIS de la Corée du Sud'), with any
    coordinated with it ('L'Ukraine et l'Occident')."""
    if not mentions:
        return []
    people = [m for m in mentions if m.kind == "person"]
    first = people[0] if people else mentions[0]
    chosen = [first]
    i = mentions.index(first)
    while i + 1 < len(mentions) and _COORDINATION.match(
        text[mentions[i].end : mentions[i + 1].start]
    ):
        chosen.append(mentions[i + 1])
        i += 1
    return chosen


def _clause_end(text: str, pos: int, end: int, stops: tuple[str, ...]) -> int:
    found = [k for stop in stops if (k := text.find(stop, pos, end)) >= 0]
    return min(found, default=end)


def _subject_mentions(
    text: str, inside: list[Mention], subject_from: int, verb: int
) -> list[Mention]:
    """The mentions of the comma-delimited chunk nearest the verb that has any: after a
    fronted clause ("Lorsque …, certains responsables ont …") the subject follows the
    comma; an apposition ("Le porte-parole …, John Kirby, a déclaré") is the chunk before."""
    span = [m for m in inside if subject_from <= m.start and m.end <= verb]
    stop = verb
    while span:
        comma = text.rfind(",", subject_from, stop)
        chunk = [m for m in span if m.start > comma]
        if chunk or comma < 0:
            return chunk
        stop = comma
    return []


def _nearest_chunk(text: str, start: int, end: int) -> str:
    """The last non-empty comma-delimited words of text[start:end] ("Péter Szijjártó" in
    "Le ministre hongrois, Péter Szijjártó,")."""
    for chunk in reversed(text[start:end].split(",")):
        if chunk.strip():
            return chunk.strip()
    return ""


def _verbs(text: str, start: int, end: int, inside: list[Mention]) -> list[re.Match[str]]:
    """Speech verbs, with "Austina souligné" (a machine translation's run-together
    "Austin a souligné") read as one when a mention ends right before the "a"."""
    ends = {m.end for m in inside}
    glued = [m for m in _GLUED_AUX.finditer(text, start, end) if m.start() in ends]
    return sorted([*_VERB.finditer(text, start, end), *glued], key=lambda m: m.start())


def attribute(
    text: str,
    start: int,
    end: int,
    aliases: ActorAliases,
    mentions: list[Mention],
    narrator: str,
    previous: Attribution | None,
) -> Attribution:
    """Attribute `text[start:end]`. `mentions` are the document's, sorted by start."""
    inside = [m for m in mentions if start <= m.start and m.end <= end]
    found: list[tuple[int, list[str], str, str]] = []  # (position, actors, cue, words)
    pronoun_cue: str | None = None
    unresolved: tuple[str, str] | None = None  # (cue, the speaker's words) naming no actor

    for match in _SOURCE_WORD.finditer(text, start, end):
        clause_end = _clause_end(text, match.end(), end, (",", ";", ".", "»"))
        after = [m for m in inside if match.end() <= m.start and m.end <= clause_end]
        cue = match.group(0).strip().lower()
        if after:
            first = after[0]
            actors = _distribute(text, first, aliases)
            found.append((match.start(), actors, cue, text[first.start : first.end]))
        elif named := _NAMED.match(text[match.end() : clause_end].strip()):
            unresolved = unresolved or (cue, named.group(0).strip())

    for match in _verbs(text, start, end, inside):
        cue = match.group(0)
        if match.group("inv"):  # "affirment-ils"
            pronoun_cue = cue
            continue
        before = text[start : match.start()].rstrip()
        clause_end = _clause_end(text, match.end(), end, (",", ";", "."))
        # ", a déclaré Kirby." is inverted; "Lloyd Austin, a confirmé que …" and "X, par …,
        # a condamné les livraisons" close an apposition before the verb.
        inverted = before.endswith((",", "»", "«", "\u201d", '"')) and not _THAT.search(
            text, match.end(), clause_end
        )
        # An inverted subject follows its verb closely: ", a déclaré Kirby", ", ont indiqué
        # des responsables sud-coréens"; a name further on is the statement's object.
        after = [
            m
            for m in inside
            if match.end() <= m.start
            and m.end <= clause_end
            and len(text[match.end() : m.start].split()) <= 3
            and "«" not in text[match.end() : m.start]
        ]
        if inverted and after:
            # ", a indiqué à l'AFP un responsable ukrainien": the outlet relays.
            people = [m for m in after if m.kind != _NEWS] or after
            relays = [m for m in after if m.kind == _NEWS and m is not people[0]]
            for who in [people[0], *relays]:
                found.append((match.start(), [who.actor], cue, text[who.start : who.end]))
            continue
        if inverted and (named := _NAMED.match(text[match.end() : clause_end].strip())):
            unresolved = unresolved or (cue, named.group(0).strip())
        subject_from = start
        for sep in _SUBJECT_START.finditer(text, start, match.start()):
            subject_from = sep.end()
        chosen = _subject(_subject_mentions(text, inside, subject_from, match.start()), text)
        if chosen:
            words = text[chosen[0].start : chosen[-1].end]
            found.append((match.start(), [m.actor for m in chosen], cue, words))
        elif _PRONOUN_SUBJECT.match(text[subject_from : match.start()]):
            pronoun_cue = pronoun_cue or cue
        elif (words := _nearest_chunk(text, subject_from, match.start())) and (
            (named := _NAMED.match(words)) and named.group(0) == words
        ):
            unresolved = unresolved or (cue, words)

    if (m := _PRONOUN_INVERTED.search(text, start, end)) is not None:
        pronoun_cue = pronoun_cue or m.group(0)
    found.sort(key=lambda item: item[0])
    # "citant X", "informés par X": X is where the statement comes from, whoever says it.
    origins = [f for f in found if _ORIGIN.match(f[2])]
    speakers = origins or [f for f in found if aliases.kind(f[1][0]) != _NEWS]
    outlets = [a for f in found for a in f[1] if aliases.kind(a) == _NEWS]
    if speakers:
        _, actors, cue, words = speakers[0]
        via = [o for o in outlets if o not in actors]
        return Attribution(list(dict.fromkeys(actors)), via, cue, words)
    if found:
        _, actors, cue, words = found[0]
        return Attribution(list(dict.fromkeys(actors)), [], cue, words)
    if pronoun_cue is not None and previous is not None and previous.claimants:
        return Attribution(list(previous.claimants), list(previous.via), pronoun_cue, None, True)
    if unresolved is not None:
        # A speaker the alias file does not know: left for the curator, never guessed.
        return Attribution([], [], unresolved[0], unresolved[1], resolved=False)
    return Attribution([narrator], [], None, None)
