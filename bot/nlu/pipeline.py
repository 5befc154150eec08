"""The blank spaCy pipeline every finder runs on.

Only the tokenizer is used. It is tuned so that money and identifiers written without spaces
("450kr", "NOK450", "acct:12345678", "+44 (0)20 ...") still come apart into separate tokens.
"""

from __future__ import annotations

import re

import spacy
from spacy.language import Language
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

# "450kr", "12345678kWh": split a currency code or meter unit off a number.
_EXTRA_SUFFIXES = [
    r"(?<=[0-9])(?i:kr|nok|kroner|gbp|eur|usd|sek|dkk|kwh)",
    r"(?<=[0-9])-",  # "12345678-"
]
# "NOK450", "GBP12.50": split a currency code off the number that follows it.
_EXTRA_PREFIXES = [r"(?i:kr|nok|gbp|eur|usd|sek|dkk)(?=[0-9])"]
_EXTRA_INFIXES = [
    r"(?<=[A-Za-z])[:./](?=[0-9])",  # "acct:12345678", "kundenr.12345678"
    r"(?<=[0-9])[()](?=[0-9])",  # "(0)20" -> "(", "0", ")", "20"
]

# Keeps an email one token: the default rules split "Ola.Nordmann@Example.com" at ".N"/".C".
# \w: Norwegian letters too ("Bjørn.Dæhlie@Blåbær.no").
_EMAIL_TOKEN = re.compile(r"^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$")


def build_nlp() -> Language:
    """A blank English pipeline with the tokenizer adjustments above; build once and reuse."""
    nlp = spacy.blank("en")
    defaults = nlp.Defaults
    nlp.tokenizer.suffix_search = compile_suffix_regex(
        list(defaults.suffixes) + _EXTRA_SUFFIXES
    ).search
    nlp.tokenizer.prefix_search = compile_prefix_regex(
        list(defaults.prefixes) + _EXTRA_PREFIXES
    ).search
    nlp.tokenizer.infix_finditer = compile_infix_regex(
        list(defaults.infixes) + _EXTRA_INFIXES
    ).finditer
    default_match = nlp.tokenizer.token_match
    nlp.tokenizer.token_match = (
        _EMAIL_TOKEN.match
        if default_match is None
        else lambda text: _EMAIL_TOKEN.match(text) or default_match(text)
    )
    return nlp
