"""Which language a customer writes in: Norwegian ("nb") or English ("en"), or no verdict.

Pure Python, no dependencies: the gateway (Python 3.11) and the Rasa component
(bot/nlu/rasa_language_detector.py, Python 3.10) call the same `detect_language`, so the
conversation's stored language and the assistant's reply language never disagree.

Every word votes with a weight: words only one language uses (Bokmål, Nynorsk and dialect
spellings, also typed without æøå: "ikkje", "kor", "ka", "naar", "pa") count fully; words
Norwegians borrow ("sorry", "ok") or that both languages spell alike ("to", "at", "men")
count little or nothing. Words in neither list vote by spelling (æøå, "kj", "hv", "-sjon"
against "th", "w", "-tion"). Too little evidence, or too close a vote, gives None: short
answers such as "ok", "0150" or "NRD-1042" keep the conversation's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NORWEGIAN = "nb"  # Nynorsk and dialect writers are answered in Bokmål
ENGLISH = "en"
LANGUAGES = (ENGLISH, NORWEGIAN)  # what detect_language can answer (or None)

# Evidence needed for a verdict, and by how much the winner must lead.
MIN_EVIDENCE = 1.0
MIN_LEAD = 0.8
MIN_RATIO = 2.0

_WORD = re.compile(r"[a-zæøåéèêóòôäöü]+(?:'[a-z]+)?")
# Addresses and links say nothing about the language around them.
_NOT_WORDS = re.compile(r"\S+@\S+|\S+://\S+|www\.\S+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# --- Norwegian --------------------------------------------------------------------------------
# Only Norwegian: Bokmål, Nynorsk and dialect spellings, with the no-æøå spellings customers type.
_NB_STRONG = _words(
    """
    jeg eg æ jæ mæ meg mej deg dæ dej seg sæ sej oss dere dokker dokk dykk dykkar
    hun ho hu dem dei mitt mine ditt dine vår vårt våre vaar vaart vaare hennes deres sitt sine
    ikke ikkje ikkj ikk ikje itte ittj ente inkje
    og å på paa fra frå ifra ifraa etter uten utan hos mot gjennom mellom før foer fordi eller
    hvis viss dersom når naar så saa også ogsa ogsaa
    hva ka kva hvorfor koffor kvifor korfor hvordan kordan korleis koss kossen åssen assen
    hvor kor hvem kem kven hvilken hvilket hvilke kolles kossn katti kaffor
    er har hadde kunne vil ville skal ska skulle må maa får faar fikk fekk gjør gjer gjøre gjere
    gjort vet veit vite trenger treng trenge ønsker onsker ønske lurer lure lurte
    betale betalt betaling betalingen betalinga innbetaling snakke snakka prate prata
    sjekke sjekk hjelp hjelpe hjelpa åpne åpen åpent apne apent aapne aapent opne ope stenge stengt
    skylder skylde skyldig bytte endre sende sendt mottatt mottok fått faatt gått gaatt
    heter hete logge bestille sier seie seier melde klage klaga glemt mista mistet
    regning regninga regningen regninger rekning rekninga faktura fakturaen fakturaer
    abonnement abonnementet avtale avtalen avtala kundenummer kundenummeret kontonummer
    kontonummeret kontoen postnummer postnummeret sak saken saka saker saksnummer referanse
    referansen strøm strømmen straum straumen strom strommen nettet internett internettet
    menneske mennesker ekte ansatt medarbeider kundeservice kundestøtte kundestotte
    åpningstider apningstider aapningstider opningstider penger pengene pengar kroner beløp belop
    beløpet belopet måned maned maaned måneden mnd dager uke uka veke år aar feil svar
    spørsmål sporsmal sporsmaal spørsmålet adressen passord passordet bruker brukeren
    hei heisann hallais morn morna takk tusen takker tusind bra fint greit jo neida jada joda
    nå naa nok bare berre litt mye mykje masse veldig kjempe heilt helt noe noko nokon noen
    du kan til med som ved det den en et var nokre ingen ingenting alle allerede allereie enda ennå ennaa fortsatt framleis skjønner
    skjonner forstår forstaar forstod dette denne disse desse ei eit ein ein slik sånn sann
    hvorfor også kanskje nettopp igjen igjen ganske fremdeles ikkje sia siden
    legg legge gi gje gjev vis vise viser spill spille spel spela finn finne finna skru sett sette
    bestill minn minne hør høre høyre hore hoyre kalt kalla hette sang sangen låt låta låten
    været veret vêr varmt kaldt regne snø sol idag imorgen imorra morra kvelden natt helga
    mandag tirsdag onsdag torsdag fredag lørdag søndag klokka klokken tida tiden timen
    blir bli blei ble vart kommer komme kjem går gå gikk gjekk står ligger tror trur synes syns
    tenker liker likar mener meiner hæ kæm dåkker dæm dæi nåkka nåke nånn kansje altså liksom
    morgen snakkes vel sikkert gjerne unnskyld beklager mi meir mer mest enn nokka sånt slikt hit dit heim hjem
    hjemme heime ute inne oppe nede kun berre snart straks dessverre selv sjøl sjølv
    heia halla heisan heihei hallå goddag morrn morgon kveld hadebra hadet hade adjø farvel ses
    stemmer riktig korrekt selvfølgelig enig elendig ubrukelig dårlig darlig dårligste
    kundenr kontonr postnr epost eposten tlf mobilnummer telefonnummer telefon
    """
)
# Norwegian but short or close to English spellings: they count, just less.
_NB_WEAK = _words(
    """
    e de din min ha se si te pa ma far ar nar sa om av da men ja nei konto dag
    """
)

# --- English ----------------------------------------------------------------------------------
_EN_STRONG = _words(
    """
    i'm im i've ive i'd i'll my you your you're yours we our us they their them
    it it's its this that these those the an and but not is are was were been being
    have has had do does did don't dont doesn't didn't can't cant could would should won't
    will want wanted need needed get got how what when where why who which whose
    please pls thanks thank hello hey hi with from of about there here just still yet already
    again some any much many bill bills billing account payment payments ticket tickets pay paid
    money balance owe owed speak talk human someone somebody real opening hours wrong
    charged charge refund cancel check why open closed still every since help address
    phone number postcode internet broken working doesn't isn't can't yet also know
    as by if or up out one two new time like take people into year good see other than then
    now look only come over think back after use work first well way even because give day
    most tell show find play song weather should something anything nothing everything
    anyone everyone your's yourself myself been able sure right last next month week today
    bye goodbye tomorrow yesterday morning evening night says said say tell told ask asked let make
    """
)
# English but borrowed by Norwegians, or too short to trust alone.
_EN_WEAK = _words(
    """
    yes no sorry ok okay nice cool me to in on so go
    """
)

_NB_SPELLING = (
    re.compile(r"[æøå]"),
    re.compile(r"^(?:kj|skj|sj|hv|gj)|aa|sjon$|sjonen$|ene$|heten$|ningen$"),
)
_EN_SPELLING = (
    re.compile(r"th|w|tion$|ould|ough|ee|ea|'s$|'t$"),
    re.compile(r"[cqxz]"),
)


@dataclass(frozen=True)
class LanguageVote:
    """The weighted votes for each language; `language` is the verdict or None (abstain)."""

    norwegian: float
    english: float

    @property
    def language(self) -> str | None:
        high, low = max(self.norwegian, self.english), min(self.norwegian, self.english)
        if high < MIN_EVIDENCE or high - low < MIN_LEAD or high < MIN_RATIO * low:
            return None
        return NORWEGIAN if self.norwegian > self.english else ENGLISH


def _word_vote(word: str) -> tuple[float, float]:
    if word in _NB_STRONG:
        return 1.0, 0.0
    if word in _EN_STRONG:
        return 0.0, 1.0
    if word in _NB_WEAK:
        return 0.4, 0.0
    if word in _EN_WEAK:
        return 0.0, 0.4
    if len(word) < 3:
        return 0.0, 0.0
    norwegian = sum(0.5 for pattern in _NB_SPELLING if pattern.search(word))
    english = sum(0.4 for pattern in _EN_SPELLING if pattern.search(word))
    return norwegian, english


def vote(text: str) -> LanguageVote:
    """Every word's vote, added up (commands such as "/affirm" carry no language)."""
    if text.lstrip().startswith("/"):
        return LanguageVote(0.0, 0.0)
    norwegian = english = 0.0
    for word in _WORD.findall(_NOT_WORDS.sub(" ", text.lower())):
        nb, en = _word_vote(word)
        norwegian += nb
        english += en
    return LanguageVote(norwegian, english)


def detect_language(text: str) -> str | None:
    """"nb", "en", or None when the message does not say (too short, codes, a close vote)."""
    return vote(text).language
