"""Choose the language of localised editorial texts for a request.

Order of preference: the `locale` parameter (Spotify's `sv_SE` form), else the listener's
language, else the Accept-Language header by quality; then English, then the object's
default language (never a third language: a Spanish listener of a Swedish playlist with an
English title reads the English one). A regional code
(`sv-se`) is followed by its base language (`sv`), and a base language also matches a
regional text (`pt` finds `pt-br`).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation.trans_real import parse_accept_lang_header

from common.errors import ValidationFailed

LOCALE_RE = re.compile(r"^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,4})?$")


def _with_bases(codes: Iterable[str]) -> list[str]:
    languages: list[str] = []
    for code in codes:
        code = code.lower().replace("_", "-")
        base = code.split("-")[0]
        for candidate in (code, base):
            if candidate and candidate != "*" and candidate not in languages:
                languages.append(candidate)
    return languages


FALLBACK_LANGUAGE = "en"


def requested_languages(
    *, locale: str | None, accept_language: str | None, user_language: str | None = None
) -> list[str]:
    """Return the languages a request asks for, best first (may be empty)."""
    locale = (locale or "").strip()
    if locale:
        if not LOCALE_RE.match(locale):
            raise ValidationFailed(
                f"Invalid locale: {locale[:20]!r}. Use an ISO 639-1 language code and an "
                "ISO 3166-1 alpha-2 country code joined by an underscore, e.g. sv_SE."
            )
        return _with_bases([locale])
    if user_language:
        return _with_bases([user_language])
    parsed = parse_accept_lang_header(accept_language or "") if accept_language else ()
    return _with_bases(code for code, _quality in parsed)


@dataclass(frozen=True)
class Texts:
    language: str
    title: str
    description: str


def choose_texts(*, default: Texts, translations: Iterable[Texts], languages: list[str]) -> Texts:
    """Return the texts in the first requested language available, else in English, else
    the default.

    A translation's empty description falls back to the default description.
    """
    available = {texts.language: texts for texts in translations}
    available.setdefault(default.language, default)
    for language in [*languages, FALLBACK_LANGUAGE]:
        found = available.get(language)
        if found is None:
            base = language.split("-")[0]
            found = next((t for code, t in available.items() if code.split("-")[0] == base), None)
        if found is not None:
            description = found.description or default.description
            return Texts(found.language, found.title, description)
    return default
