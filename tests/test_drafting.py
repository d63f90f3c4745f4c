"""Assisted drafts (app/drafting): the rules one by one, a made-up article end to end, the
accept step, the loader ignoring drafts, and the evaluation's floors on the five seeds."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
import yaml

from app import migrate
from app.cli import main
from app.db import make_engine
from app.drafting import nlp
from app.drafting.actors import ActorAliases
from app.drafting.attribution import Attribution, attribute
from app.drafting.candidates import Candidate, SourceDocument, draft, to_record
from app.drafting.dates import resolve_dates
from app.drafting.evaluate import evaluate, markdown_table, metric, score_document
from app.drafting.figures import classify, parse_figures
from app.drafting.hedges import read_hedge, read_stance
from app.drafting.segment import segments
from app.edtf import parse_edtf
from app.loader import load_dataset, validate_seeds
from app.vocab import EventType, Hedge, Qualifier, Quantity, Stance, Unit
from tests.conftest import SEEDS_DIR
from tests.faulttools import snapshot
from tests.seedtools import read, write

# A made-up article (none of the five seeds), with the furniture a scraped page brings.
ARTICLE = """\
Des soldats nord-coréens déployés près de Koursk, selon Kyiv

Par Marie Dupont

Publié le 14 mars 2025

L'Ukraine affirme que plus de 1 500 soldats nord-coréens ont été déployés cette semaine \
dans la région de Koursk. Selon le NIS, environ 2 000 soldats nord-coréens auraient été \
tués ou blessés depuis janvier.
Le secrétaire américain à la Défense, Lloyd Austin, a confirmé jeudi que des troupes \
supplémentaires étaient arrivées en Russie.
La Russie a démenti la présence de soldats étrangers sur son territoire.
Pyongyang pourrait envoyer jusqu’à 5 000 soldats de plus au printemps, d’après l’agence Yonhap.
Les combats se poursuivent dans la région.

Lire aussi : Kim Jong-un inspecte une usine de munitions
Partager cet article
Commentaires (12)
"""
PUBLISHED = "2025-03-14"  # a Friday
ARTICLE_ID = "900_madeup"


@pytest.fixture(scope="module")
def aliases() -> ActorAliases:
    return ActorAliases.from_seeds(SEEDS_DIR)


# --- figures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "low", "high", "qualifier", "unit"),
    [
        ("environ 3.000 soldats", 3000, 3000, Qualifier.about, Unit.soldiers),
        ("3 000 soldats nord-coréens", 3000, 3000, Qualifier.exact, Unit.soldiers),
        ("3\u00a0000 soldats", 3000, 3000, Qualifier.exact, Unit.soldiers),
        ("3\u202f000 hommes", 3000, 3000, Qualifier.exact, Unit.soldiers),
        ("a envoyé 12 000 soldats", 12000, 12000, Qualifier.exact, Unit.soldiers),
        ("plus de 1 000 soldats tués", 1000, None, Qualifier.more_than, Unit.soldiers),
        ("un nombre supérieur à 3 000", 3000, None, Qualifier.more_than, Unit.soldiers),
        ("au moins 10 000 soldats", 10000, None, Qualifier.at_least, Unit.soldiers),
        ("environ 1 200 victimes", 1200, 1200, Qualifier.about, Unit.casualties),
        ("près de 800 soldats", 800, 800, Qualifier.about, Unit.soldiers),
        ("jusqu'à 3 000 soldats", None, 3000, Qualifier.up_to, Unit.soldiers),
        ("jusqu’à 12 000 soldats", None, 12000, Qualifier.up_to, Unit.soldiers),
        ("un supplément de 1 000 à 3 000 soldats", 1000, 3000, Qualifier.range, Unit.soldiers),
        ("entre 1 000 et 3 000 soldats", 1000, 3000, Qualifier.range, Unit.soldiers),
        ("Des milliers de soldats", 1000, None, Qualifier.vague, Unit.soldiers),
        ("des centaines de soldats", 100, None, Qualifier.vague, Unit.soldiers),
        ("deux brigades", 2, 2, Qualifier.exact, Unit.brigades),
        ("18 des 40 soldats", 18, 18, Qualifier.exact, Unit.soldiers),
        ("ParisEnviron 3 000 soldats", 3000, 3000, Qualifier.about, Unit.soldiers),
    ],
)
def test_figure_forms_and_qualifiers(
    text: str, low: int | None, high: int | None, qualifier: Qualifier, unit: Unit
) -> None:
    figure = parse_figures(text)[0]
    assert (figure.low, figure.high, figure.qualifier, figure.unit) == (low, high, qualifier, unit)
    assert text[figure.start : figure.end] == figure.text


@pytest.mark.parametrize(
    "text",
    [
        "le 18 octobre",
        "en 2024 dans le cadre de son alliance",
        "la guerre de Corée (1950-1953)",
        "il y a plus de soixante-dix ans",
        "les deux dirigeants ont ratifié un accord",
        "Aujourd'hui · 02:04",
        "le 7 février, les troupes",
        "on 25 April, 2019.",
    ],
)
def test_dates_years_and_bare_small_numbers_are_not_figures(text: str) -> None:
    assert parse_figures(text) == []


def test_second_number_of_a_part_takes_the_unit() -> None:
    figures = parse_figures("18 des 40 soldats nord-coréens ont quitté")
    assert [(f.low, f.unit) for f in figures] == [(18, Unit.soldiers), (40, Unit.soldiers)]


@pytest.mark.parametrize(
    ("text", "quantities"),
    [
        (
            "le NIS a estimé environ 3.000, soit le nombre de soldats déjà envoyés en Russie, où ils recevraient une formation.",
            ["troops_sent"],
        ),
        (
            "Pyongyang avait promis de fournir au total environ 10 000 soldatsdont le déploiement devrait être achevé.",
            ["troops_pledged"],
        ),
        (
            "cette semaine, 18 des 40 soldats qui recevaient une formation ont quitté le lieu qui leur était assigné.",
            ["troops_deserted", "troops_in_group"],
        ),
        (
            "Pyongyang pourrait envoyer jusqu’à 5 000 soldats de plus au printemps.",
            ["troops_additional"],
        ),
        ("Le Kremlin subit environ 1 200 victimes chaque jour.", ["russian_casualties_per_day"]),
        (
            "Mais la Russie a perdu environ 530 000 soldats sur le champ de bataille.",
            ["russian_losses_total"],
        ),
        (
            "La Russie travaille à la création de deux brigades qui pourrait être composé de 6 000 soldats chacun.",
            ["brigade_count", "brigade_size"],
        ),
    ],
)
def test_figure_quantity_from_the_nearest_words(text: str, quantities: list[str]) -> None:
    assert [classify(text, 0, len(text), f) for f in parse_figures(text)] == quantities


def test_ce_nombre_takes_the_quantity_of_the_figure_before() -> None:
    text = "tandis que l'Ukraine a déclaré que ce nombre était supérieur à 3 000."
    (figure,) = parse_figures(text)
    assert (
        classify(text, 0, len(text), figure, Quantity.troops_killed_or_wounded)
        == "troops_killed_or_wounded"
    )
    assert classify(text, 0, len(text), figure) is None


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "published", "edtf"),
    [
        ("a déclaré ce mercredi", "2024-10-23", "2024-10-23"),  # itself a Wednesday
        ("a déclaré mercredi", "2025-02-27", "2025-02-26"),
        ("a noté mardi soir", "2024-10-23", "2024-10-22"),
        ("ont assuré le 18 octobre", "2024-10-23", "2024-10-18"),
        ("a déclaré le 24 décembre", "2024-12-24", "2024-12-24"),
        ("le 30 décembre", "2025-01-05", "2024-12-30"),  # the latest one before publication
        ("le 1er mars 2023", "2025-01-05", "2023-03-01"),
        ("déployée l'année dernière", "2025-02-27", "2024"),
        ("déployée l’année dernière", "2025-02-27", "2024"),
        ("La semaine dernière, le NIS", "2024-10-23", "2024-10-14/2024-10-20"),
        ("cette semaine", "2024-10-23", "2024-10-21/2024-10-27"),
        ("cet automne", "2024-12-24", "2024-23"),
        ("cet hiver", "2025-01-10", "2024-24"),
        ("En novembre", "2025-02-27", "2024-11"),
        ("début février", "2025-02-27", "2025-02"),
        ("hier", "2024-10-23", "2024-10-22"),
        # An uncertain publication day makes an interval when the two ends disagree.
        ("mercredi", "2024-10-23/2024-10-24", "2024-10-23"),
        ("jeudi", "2024-10-23/2024-10-24", "2024-10-17/2024-10-24"),
    ],
)
def test_dates_resolve_against_the_publication_date(text: str, published: str, edtf: str) -> None:
    found = resolve_dates(text, 0, len(text), parse_edtf(published))
    assert [d.edtf for d in found] == [edtf]
    bounds = parse_edtf(edtf)
    assert (found[0].earliest, found[0].latest) == (bounds.earliest, bounds.latest)


def test_a_month_in_a_future_statement_is_the_next_one() -> None:
    text = "dont le déploiement devrait être achevé en décembre"
    published = parse_edtf("2024-10-23")
    assert resolve_dates(text, 0, len(text), published)[0].edtf == "2023-12"
    future = resolve_dates(text, 0, len(text), published, future=True)[0]
    assert (future.edtf, future.earliest, future.latest) == (
        "2024-12",
        date(2024, 12, 1),
        date(2024, 12, 31),
    )


# --- hedges and stance (regular expressions; spaCy's verb forms are tested below) ---------


@pytest.mark.parametrize(
    ("text", "hedge"),
    [
        ("Des milliers de soldats auraient été tués ou blessés.", Hedge.alleged),
        ("au moins 3 000 personnes seraient déjà formées sur le sol russe", Hedge.alleged),
        ("la prétendue contribution de Pyongyang", Hedge.alleged),
        ("Ces troupes pourraient bientôt être déployées.", Hedge.speculative),
        ("Selon le NIS, ces soldats pourraient être envoyés.", Hedge.speculative),
        ("Si l'information se confirme, la scène changerait.", Hedge.speculative),
        ("le déploiement devrait être achevé en décembre", Hedge.expected),
        ("Ils recevront probablement une formation", Hedge.expected),
        ("Lloyd Austin a confirmé que les informations étaient exactes.", Hedge.confirmed),
        ("« Il existe des preuves », a reconnu Austin.", Hedge.confirmed),
        ("bien qu'ils n'aient pas confirmé ces mouvements de troupes", Hedge.asserted),
        ("Selon le NIS, les forces étaient de retour.", Hedge.reported),
        ("d'après l'AFP, les soldats sont arrivés", Hedge.reported),
        ("Les États-Unis estiment que 3 000 soldats sont là.", Hedge.estimated),
        ("La Russie a perdu des soldats.", Hedge.asserted),
        # Imperfects of -rer verbs and nouns in -rait are not the conditional.
        ("la force renforçait sa présence et coopérait avec les unités russes.", Hedge.asserted),
        ("à la suite d’un retrait temporaire des fronts", Hedge.asserted),
        ("qu'il s'agirait d'une démarche légale", Hedge.alleged),
        # "puisse" after "afin que" is grammar; after a fear it is speculation.
        ("afin que l’armée russe puisse utiliser les missiles", Hedge.asserted),
        ("l’Occident craignent que Pyongyang puisse gagner des technologies", Hedge.speculative),
    ],
)
def test_hedge_cues(text: str, hedge: Hedge) -> None:
    assert read_hedge(text, []).hedge is hedge


@pytest.mark.parametrize(
    ("text", "cue", "relayed", "question", "hedge"),
    [
        # The attribution's own verb wins over a "selon lesquelles" further on.
        (
            "Les services estiment que X, contrairement aux évaluations selon lesquelles Y.",
            "estiment",
            False,
            False,
            Hedge.estimated,
        ),
        (
            "Selon l'AFP, la Corée du Sud a déclaré que 1 000 soldats ont été tués.",
            "a déclaré",
            True,
            False,
            Hedge.reported,
        ),
        (
            "Le NIS a confirmé que des troupes étaient arrivées.",
            "a confirmé",
            False,
            False,
            Hedge.confirmed,
        ),
        (
            "Kirby a déclaré que la présence était un signe.",
            "a déclaré",
            False,
            False,
            Hedge.asserted,
        ),
        (
            "Des soldats nord-coréens en route pour soutenir la Russie ?",
            None,
            False,
            True,
            Hedge.speculative,
        ),
        # A speaker's conditional is their hypothesis; the narration's, a distancing.
        (
            "ce qui, de l’avis de Kyiv, signifierait une escalade",
            "de l’avis de",
            False,
            False,
            Hedge.estimated,
        ),
        (
            "un responsable a déclaré qu'il s'agirait d'une démarche légale",
            "a déclaré",
            False,
            False,
            Hedge.asserted,
        ),
        ("où ils recevraient une formation", None, False, False, Hedge.alleged),
        ("comme Kiev l’a prétendu", "l’a prétendu", False, False, Hedge.asserted),
        (
            "la Russie a perdu 530 000 soldats, selon les estimations américaines.",
            "selon",
            False,
            False,
            Hedge.estimated,
        ),
        (
            "La Russie ne confirme ni ne nie la présence de troupes.",
            "confirme",
            False,
            False,
            Hedge.asserted,
        ),
    ],
)
def test_hedge_follows_the_attribution(
    text: str, cue: str | None, relayed: bool, question: bool, hedge: Hedge
) -> None:
    assert read_hedge(text, [], cue, relayed, question).hedge is hedge


@pytest.mark.parametrize(
    ("text", "question", "stance"),
    [
        ("La Corée du Nord a d'abord nié avoir envoyé des troupes", False, Stance.denies),
        ("La Russie a démenti la présence de soldats.", False, Stance.denies),
        ("La Russie ne confirme ni ne nie la présence de troupes.", False, Stance.neither),
        ("Des soldats nord-coréens en route pour soutenir la Russie ?", True, Stance.neither),
        ("Les États-Unis ont confirmé la présence de troupes.", False, Stance.asserts),
    ],
)
def test_stance_cues(text: str, question: bool, stance: Stance) -> None:
    assert read_stance(text, question) is stance


# --- attribution --------------------------------------------------------------------------


def _attribute(
    text: str,
    aliases: ActorAliases,
    narrator: str = "unattributed",
    previous: Attribution | None = None,
) -> Attribution:
    return attribute(text, 0, len(text), aliases, aliases.mentions(text), narrator, previous)


@pytest.mark.parametrize(
    ("text", "claimants", "via"),
    [
        (
            "Selon l'AFP, la Corée du Sud a déclaré le 24 décembre que 1 000 soldats ont été tués.",
            ["kor"],
            ["afp"],
        ),
        (
            "Les États-Unis estiment que 3 000 soldats se trouvaient en Russie, a déclaré Kirby.",
            ["usa"],
            [],
        ),
        ("Ces troupes seront confrontées à la même force, a déclaré Kirby.", ["john-kirby"], []),
        (
            "« Il existe des preuves », a reconnu Austin lors d’une conférence de presse.",
            ["lloyd-austin"],
            [],
        ),
        (
            "Le porte-parole du Conseil de sécurité nationale américain, John Kirby, a déclaré mercredi que la présence était un signe.",
            ["john-kirby"],
            [],
        ),
        (
            "Le secrétaire américain à la Défense, Lloyd Austin, a confirmé que les informations fournies par Séoul étaient exactes.",
            ["lloyd-austin"],
            [],
        ),
        (
            "Le National Intelligence Service (NIS) de la Corée du Sud a déclaré mercredi que des forces avaient été déployées.",
            ["kor-nis"],
            [],
        ),
        ("L’Ukraine et l’Occident estiment que Kim a envoyé des soldats.", ["ukr", "west"], []),
        (
            "Kim a envoyé 12 000 soldats, selon les responsables ukrainiens, sud-coréens et américains.",
            ["ukr-officials", "kor-officials", "us-officials"],
            [],
        ),
        (
            "La mobilisation était une demande de Pyongyang, selon le New York Times du 23 décembre, citant des sources du renseignement américain.",
            ["us-intelligence"],
            ["nyt"],
        ),
        (
            "L'agence de presse sud-coréenne Yonhap a rapporté que le président envisageait d'envoyer des armes.",
            ["yonhap"],
            [],
        ),
        (
            "Lorsque les troupes nord-coréennes sont arrivées, certains responsables occidentaux ont interprété cela comme un signe.",
            ["western-officials"],
            [],
        ),
        ("La Corée du Nord a d'abord nié avoir envoyé des troupes en Russie", ["dprk"], []),
        ("Volodymyr Zelenskiqui a demandé à ses alliés d'agir, a noté Zelensky.", ["zelensky"], []),
        # A run-together "Austin a souligné", and an apposition chunk before the verb.
        (
            "Le secrétaire à la Défense des États-Unis, Lloyd Austina souligné ce mercredi que ce serait grave, comme Kiev l’a prétendu.",
            ["lloyd-austin"],
            [],
        ),
        (
            "Parmi les réactions des alliés de Kiev, celle de Royaume-Uniqui, par l’intermédiaire de son ministère, a condamné « fermement » les livraisons d’armes à l’armée du Kremlin.",
            ["gbr"],
            [],
        ),
        (
            "Pyongyang avait promis 10 000 soldats, ont déclaré les législateurs aux journalistes après avoir été informés par l’agence nationale de renseignement sud-coréenne.",
            ["kor-nis"],
            [],
        ),
        (
            "« Ils sont mieux préparés », a indiqué à l'AFP un responsable ukrainien.",
            ["ukr-officials"],
            ["afp"],
        ),
        ("La Russie travaille à la création de deux brigades", ["unattributed"], []),
        (
            "des informations selon lesquelles la Russie travaille à deux brigades",
            ["unattributed"],
            [],
        ),
    ],
)
def test_attribution_cues(
    text: str, claimants: list[str], via: list[str], aliases: ActorAliases
) -> None:
    found = _attribute(text, aliases)
    assert (found.claimants, found.via) == (claimants, via)


@pytest.mark.slow
def test_selon_governs_its_own_sentence_only(aliases: ActorAliases) -> None:
    """A pronoun subject without a speech verb is the narration's again (the seeds' reading
    of 004's "Selon le Service national …" and the sentence after it)."""
    text = (
        "Selon le NIS, ces soldats sont formés aux drones. Bien qu'ils soient robustes, ils "
        "pourraient rencontrer des difficultés. Il a ajouté que des uniformes suivraient."
    )
    candidates = draft(SourceDocument("t", text, parse_edtf("2024-10-24"), None), aliases)
    assert [c.claimants for c in candidates] == [
        ["kor-nis"],
        ["unattributed"],
        ["unattributed"],
        ["kor-nis"],  # "Il a ajouté" still goes on with the last speaker
    ]


def test_narration_belongs_to_the_outlet_when_it_is_known(aliases: ActorAliases) -> None:
    text = "Kim et Poutine ont tenu plusieurs sommets ces dernières années."
    assert _attribute(text, aliases, narrator="euronews").claimants == ["euronews"]


def test_a_pronoun_subject_continues_the_previous_claimant(aliases: ActorAliases) -> None:
    previous = _attribute(
        "Le NIS a déclaré mercredi que des forces avaient été déployées.", aliases
    )
    found = _attribute(
        "Il a ajouté qu’il tentait de déterminer leur nombre.", aliases, previous=previous
    )
    assert (found.claimants, found.inherited) == (["kor-nis"], True)
    alone = _attribute("Il a ajouté qu’il tentait de déterminer leur nombre.", aliases)
    assert alone.claimants == ["unattributed"]
    inverted = _attribute("Les troupes arrivent, a-t-il précisé.", aliases, previous=previous)
    assert (inverted.claimants, inverted.inherited) == (["kor-nis"], True)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("« Nous sommes prêts », a déclaré Jens Stoltenberg.", "Jens Stoltenberg"),
        (
            "Le chef de la diplomatie hongroise a déclaré que les troupes étaient là.",
            "Le chef de la diplomatie hongroise",
        ),
        ("Marie Dupont estime que la guerre durera.", "Marie Dupont"),
        (
            "Le ministre hongrois des Affaires étrangères, Péter Szijjártó, a jugé ces chiffres exagérés.",
            "Péter Szijjártó",
        ),
        (
            "D'après les estimations occidentales, 4 000 soldats auraient été tués.",
            "les estimations occidentales",
        ),
    ],
)
def test_a_speaker_missing_from_the_aliases_is_left_for_the_curator(
    text: str, words: str, aliases: ActorAliases
) -> None:
    found = _attribute(text, aliases, narrator="euronews")
    assert (found.claimants, found.words, found.resolved) == ([], words, False)


# --- segments and page furniture ----------------------------------------------------------


def test_page_furniture_yields_no_segment() -> None:
    page = """\
Un vrai titre d'article
Par Marie Dupont
Jean Delaunay
Publié le 14 mars 2025
PUBLICITÉ
Une phrase de contenu qui reste.
Lire aussi : La guerre vue du ciel
Creusez plus profondément : Lisez le rapport de Jeanne Martin sur les routes.
Aujourd'hui · 02:04
Un titre d'article lié dans la barre latérale
22 novembre 2024 · 10:28
Un autre titre lié
Source: https://example.org/article-123.htm
Comment (0)
Commentaires (12)
Laisser un commentaire
1 × 1 =
Partager cet article
Partager sur Facebook
À lire aussi
La Corée du Nord teste un nouveau missile
Tweeter
"""
    kept = [s.text for s in segments(page)]
    assert kept == ["Un vrai titre d'article", "Une phrase de contenu qui reste."]


def test_sentences_split_at_capitals_not_at_digits_abbreviations_or_inside_quotes() -> None:
    text = (
        "Les renseignements ont assuré que la Corée avait décidé d’envoyer en Ukraine. 12 000 "
        "soldats du pays. M. Kim n'a rien reçu. « Il est clair que rien ne va. Mais nous "
        "voulons la paix« , a noté Zelensky. Pourquoi la Russie utilise-t-elle ces troupes ? "
        "Selon l'AFP, la Corée a déclaré ceci, tandis que l'Ukraine a déclaré cela. Bien qu’ils "
        "soient considérés comme disciplinés, les experts disent qu’ils ont eu du mal."
    )
    parts = [s.text for s in segments(text)]
    assert parts == [
        "Les renseignements ont assuré que la Corée avait décidé d’envoyer en Ukraine. 12 000 soldats du pays.",
        "M. Kim n'a rien reçu.",
        "« Il est clair que rien ne va. Mais nous voulons la paix« , a noté Zelensky.",
        "Selon l'AFP, la Corée a déclaré ceci",
        "tandis que l'Ukraine a déclaré cela.",
        "Bien qu’ils soient considérés comme disciplinés",
        "les experts disent qu’ils ont eu du mal.",
    ]
    for s in segments(text):
        assert text[s.start : s.end] == s.text


# --- spaCy and a made-up article end to end -----------------------------------------------


@pytest.mark.slow
def test_spacy_reads_the_future_and_the_conditional() -> None:
    text = "Les troupes seront confrontées à la même force et recevraient une formation."
    forms = {v.text: (v.conditional, v.future) for v in nlp.verb_forms(text)}
    assert forms["seront"] == (False, True)
    assert forms["recevraient"] == (True, False)
    assert (
        read_hedge(text.split(" et ")[0], nlp.verb_forms(text.split(" et ")[0])).hedge
        is Hedge.expected
    )


def _by_quote(candidates: list[Candidate], start: str) -> Candidate:
    return next(c for c in candidates if c.quote.startswith(start))


@pytest.mark.slow
def test_a_made_up_article_drafts_end_to_end(aliases: ActorAliases) -> None:
    document = SourceDocument(ARTICLE_ID, ARTICLE, parse_edtf(PUBLISHED), None)
    candidates = draft(document, aliases)
    assert [c.quote.split()[0] for c in candidates] == [
        "Des",
        "L'Ukraine",
        "Selon",
        "Le",
        "La",
        "Pyongyang",
        "Les",
    ]
    for c in candidates:
        assert ARTICLE[c.start : c.end] == c.quote
    headline = _by_quote(candidates, "Des soldats")
    assert (headline.claimants, headline.hedge) == (["ukr"], Hedge.reported)

    ukraine = _by_quote(candidates, "L'Ukraine affirme")
    assert (ukraine.claimants, ukraine.hedge, ukraine.stance) == (
        ["ukr"],
        Hedge.asserted,
        Stance.asserts,
    )
    assert [(f.low, f.high, f.qualifier.value, f.quantity) for f in ukraine.figures] == [
        (1500, None, "more_than", "troops_sent")
    ]
    assert [d.edtf for d in ukraine.dates] == ["2025-03-10/2025-03-16"]

    nis = _by_quote(candidates, "Selon le NIS")
    assert (nis.claimants, nis.hedge, nis.event_type.value) == (
        ["kor-nis"],
        Hedge.alleged,
        "casualties",
    )
    assert [(f.low, f.high, f.qualifier.value, f.quantity) for f in nis.figures] == [
        (2000, 2000, "about", "troops_killed_or_wounded")
    ]

    austin = _by_quote(candidates, "Le secrétaire")
    assert (austin.claimants, austin.hedge, austin.claimed_on) == (
        ["lloyd-austin"],
        Hedge.confirmed,
        "2025-03-13",
    )

    denial = _by_quote(candidates, "La Russie a démenti")
    assert (denial.claimants, denial.stance, denial.event_type.value) == (
        ["rus"],
        Stance.denies,
        "denial",
    )

    forecast = _by_quote(candidates, "Pyongyang pourrait")
    assert (forecast.claimants, forecast.hedge) == (["yonhap"], Hedge.speculative)
    assert [(f.low, f.high, f.qualifier.value, f.quantity) for f in forecast.figures] == [
        (None, 5000, "up_to", "troops_additional")
    ]
    assert [d.edtf for d in forecast.dates] == ["2025-21"]

    narration = _by_quote(candidates, "Les combats")
    assert (narration.claimants, narration.hedge, narration.confidence) == (
        ["unattributed"],
        Hedge.asserted,
        0.4,
    )


@pytest.mark.slow
def test_a_speakers_later_statements_carry_the_date_of_the_first(aliases: ActorAliases) -> None:
    text = (
        "John Kirby a déclaré mercredi que la présence était un signe. Les troupes seront "
        "confrontées à la même force, a déclaré Kirby. La Russie a démenti."
    )
    candidates = draft(SourceDocument("t", text, parse_edtf("2024-10-24"), None), aliases)
    assert [(c.claimants, c.claimed_on) for c in candidates] == [
        (["john-kirby"], "2024-10-23"),
        (["john-kirby"], "2024-10-23"),
        (["rus"], None),
    ]
    assert candidates[1].notes == ["claim date carried from the claimant's earlier statement"]


@pytest.mark.slow
def test_dans_le_meme_temps_dates_a_statement_like_the_one_before(aliases: ActorAliases) -> None:
    text = (
        "Les Etats-Unis ont assuré ce mercredi avoir connaissance de la présence de troupes. "
        "Dans le même temps, le NIS a estimé environ 3.000 le nombre de soldats envoyés."
    )
    candidates = draft(SourceDocument("t", text, parse_edtf("2024-10-23"), None), aliases)
    assert [(c.claimants, c.claimed_on) for c in candidates] == [
        (["usa"], "2024-10-23"),
        (["kor-nis"], "2024-10-23"),
    ]


@pytest.mark.slow
def test_an_outlet_relays_every_clause_of_its_sentence(aliases: ActorAliases) -> None:
    text = "Selon l'AFP, la Corée du Sud a déclaré que 1 000 soldats ont été tués, tandis que l'Ukraine a déclaré que ce nombre était supérieur à 3 000."
    candidates = draft(SourceDocument("t", text, parse_edtf("2024-12-24"), None), aliases)
    assert [(c.claimants, c.via, c.hedge) for c in candidates] == [
        (["kor"], ["afp"], Hedge.reported),
        (["ukr"], ["afp"], Hedge.reported),
    ]


def _add_article(seeds: Path) -> None:
    data = ARTICLE.encode("utf-8")
    (seeds / "documents" / f"{ARTICLE_ID}.txt").write_bytes(data)
    records = read(seeds / "documents.yaml")
    records.append(
        {
            "id": ARTICLE_ID,
            "file": f"{ARTICLE_ID}.txt",
            "sha256": hashlib.sha256(data).hexdigest(),
            "title": "Des soldats nord-coréens déployés près de Koursk, selon Kyiv",
            "outlet": None,
            "outlet_evidence": "Made up for the tests.",
            "url": None,
            "language": "fr",
            "published": PUBLISHED,
            "published_basis": "stated",
            "published_confidence": "high",
            "published_evidence": "Publié le 14 mars 2025",
        }
    )
    write(seeds / "documents.yaml", records)


@pytest.mark.slow
def test_draft_then_accept_adds_valid_claims(
    seeds_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _add_article(seeds_copy)
    before = validate_seeds(seeds_copy)
    assert main(["draft", ARTICLE_ID, "--seeds-dir", str(seeds_copy)]) == 0
    draft_file = seeds_copy / "drafts" / f"{ARTICLE_ID}.yaml"
    assert "7 candidate claims written" in capsys.readouterr().out
    # Drafted but not accepted: the seeds read exactly as before.
    assert validate_seeds(seeds_copy).digest() == before.digest()
    assert main(["draft", ARTICLE_ID, "--seeds-dir", str(seeds_copy)]) == 1  # keeps edits

    drafted = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    austin = next(c for c in drafted["candidates"] if c["claimant"] == "lloyd-austin")
    nis = next(c for c in drafted["candidates"] if c["claimant"] == "kor-nis")
    austin["accept"] = True
    nis["accept"] = True
    draft_file.write_text(
        yaml.safe_dump(drafted, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )

    # No event yet: every problem reported, nothing written.
    assert main(["accept", str(draft_file), "--seeds-dir", str(seeds_copy)]) == 1
    err = capsys.readouterr().err
    assert err.count("set `event`") == 2 and "nothing was written" in err
    assert not (seeds_copy / "claims" / f"{ARTICLE_ID}.yaml").exists()

    austin["event"] = nis["event"] = "dprk-deployment-to-russia-2024"
    draft_file.write_text(
        yaml.safe_dump(drafted, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    assert main(["accept", str(draft_file), "--seeds-dir", str(seeds_copy)]) == 0
    assert "2 claim(s) added" in capsys.readouterr().out

    after = validate_seeds(seeds_copy)
    assert after.count("claims") == before.count("claims") + 2
    assert after.count("figures") == before.count("figures") + 1
    claims = read(seeds_copy / "claims" / f"{ARTICLE_ID}.yaml")["claims"]
    assert [(c["claimant"], c["hedge"], c["claimed_on"]) for c in claims] == [
        ("kor-nis", "alleged", None),
        ("lloyd-austin", "confirmed", "2025-03-13"),
    ]
    for claim in claims:
        assert ARTICLE[claim["offset"] : claim["offset"] + len(claim["quote"])] == claim["quote"]
    left = yaml.safe_load(draft_file.read_text(encoding="utf-8"))["candidates"]
    assert len(left) == 5 and all(c["accept"] is False for c in left)


@pytest.mark.slow
def test_the_loader_ignores_the_drafts_folder(seeds_copy: Path, tmp_path: Path) -> None:
    def load(url: str) -> dict[str, list[tuple[object, ...]]]:
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            load_dataset(engine, validate_seeds(seeds_copy))
            return snapshot(engine)
        finally:
            engine.dispose()

    without = load(f"sqlite:///{tmp_path / 'without.db'}")
    digest = validate_seeds(seeds_copy).digest()
    assert main(["draft", "000_d40e8277d782d5f4", "--seeds-dir", str(seeds_copy)]) == 0
    # A draft with every candidate accepted, and one shaped like a claims file: still ignored.
    draft_file = seeds_copy / "drafts" / "000_d40e8277d782d5f4.yaml"
    drafted = yaml.safe_load(draft_file.read_text(encoding="utf-8"))
    for c in drafted["candidates"]:
        c["accept"] = True
    write(draft_file, drafted)
    (seeds_copy / "drafts" / "claims").mkdir()
    write(
        seeds_copy / "drafts" / "claims" / "000_d40e8277d782d5f4.yaml",
        {"document": "000_d40e8277d782d5f4", "claims": [{"id": "broken"}]},
    )
    assert validate_seeds(seeds_copy).digest() == digest
    assert load(f"sqlite:///{tmp_path / 'with.db'}") == without


# --- the evaluation -----------------------------------------------------------------------

# The values reached on the five seeds (docs/drafting.md), rounded down: a regression fails.
FLOORS = {
    "recall": 1.00,
    "precision": 0.98,
    "chars": 0.95,
    "claimant": 0.85,
    "hedge": 0.80,
    "figures": 1.00,
    "quantity": 1.00,
    "dated": 0.70,
    "event_type": 0.40,
}


@pytest.mark.slow
def test_evaluation_on_the_five_seeds_meets_its_floors() -> None:
    scores = evaluate(SEEDS_DIR)
    assert set(scores) == {*(p.stem for p in (SEEDS_DIR / "documents").glob("*.txt")), "all"}
    reached = {}
    for key, floor in FLOORS.items():
        n, d = metric(scores["all"], key)
        reached[key] = n / d
        assert n / d >= floor, f"{key}: {n}/{d} is below the floor {floor}"
    table = markdown_table(scores)
    assert table in (Path(__file__).parents[1] / "docs" / "drafting.md").read_text(
        encoding="utf-8"
    ), "docs/drafting.md's table is stale: paste the output of `claimline draft-eval`"
    # The targets, with the margin the floors keep.
    assert reached["recall"] >= 0.8 and reached["precision"] >= 0.6
    assert reached["figures"] >= 0.8 and reached["claimant"] >= 0.6


def test_evaluation_scores_overlap_of_half_the_curated_quote() -> None:
    def candidate(start: int, end: int) -> Candidate:
        return Candidate(
            f"d{start}",
            start,
            end,
            "x" * (end - start),
            ["kor"],
            None,
            None,
            [],
            Stance.asserts,
            Hedge.asserted,
            None,
            None,
            [],
            [],
            EventType.statement,
            0.5,
        )

    curated = [
        {
            "id": "a",
            "quote": "q" * 100,
            "_start": 0,
            "_end": 100,
            "claimant": "kor",
            "hedge": "asserted",
            "_type": "statement",
            "claimed_on": None,
            "figures": [],
        },
        {
            "id": "b",
            "quote": "q" * 100,
            "_start": 200,
            "_end": 300,
            "claimant": "usa",
            "hedge": "reported",
            "_type": "statement",
            "claimed_on": None,
            "figures": [],
        },
    ]
    s = score_document([candidate(50, 120), candidate(251, 400), candidate(500, 600)], curated)
    assert (s.found, s.right_candidates, s.candidates, s.claimant, s.hedge) == (1, 1, 3, 1, 1)


@pytest.mark.slow
def test_an_unknown_speaker_drafts_with_no_claimant_and_a_note(aliases: ActorAliases) -> None:
    text = "Jens Stoltenberg a déclaré que l’OTAN suivait la situation."
    (candidate,) = draft(SourceDocument("t", text, parse_edtf("2024-10-24"), "euronews"), aliases)
    record = to_record(candidate)
    assert (record["claimant"], record["claimant_words"], record["confidence"]) == (
        None,
        "Jens Stoltenberg",
        0.3,
    )
    assert record["notes"] == ["speaker 'Jens Stoltenberg' is no actor or alias in actors.yaml"]
