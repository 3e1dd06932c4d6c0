import pytest

from common.errors import ValidationFailed
from editorial.localisation import Texts, choose_texts, requested_languages


@pytest.mark.parametrize(
    ("locale", "accept", "expected"),
    [
        ("sv_SE", "en-US,en;q=0.9", ["sv-se", "sv"]),
        ("pt_BR", None, ["pt-br", "pt"]),
        ("es", None, ["es"]),
        (None, "da, en-GB;q=0.8, en;q=0.7", ["da", "en-gb", "en"]),
        ("", "fi;q=0.5,sv;q=0.9", ["sv", "fi"]),
        (None, None, []),
        (None, "*", []),
    ],
)
def test_requested_languages_locale_first_then_accept_language(locale, accept, expected):
    assert requested_languages(locale=locale, accept_language=accept) == expected


@pytest.mark.parametrize("locale", ["swedish please", "s", "sv_SE_x", "../etc"])
def test_an_invalid_locale_is_an_error(locale):
    with pytest.raises(ValidationFailed, match="Invalid locale"):
        requested_languages(locale=locale, accept_language=None)


DEFAULT = Texts("sv", "Fikapaus", "Mjuka låtar.")
TRANSLATIONS = [Texts("en", "Fika Break", "Soft songs."), Texts("pt-br", "Pausa", "")]


@pytest.mark.parametrize(
    ("languages", "title", "description"),
    [
        (["en-us", "en"], "Fika Break", "Soft songs."),
        (["sv-se", "sv"], "Fikapaus", "Mjuka låtar."),
        (["pt"], "Pausa", "Mjuka låtar."),  # base matches regional; empty text falls back
        (["de", "en"], "Fika Break", "Soft songs."),
        # No requested language available: English, never the default's (another
        # market's) language; the default only when there is no English text.
        (["de"], "Fika Break", "Soft songs."),
        ([], "Fika Break", "Soft songs."),
    ],
)
def test_choose_texts(languages, title, description):
    chosen = choose_texts(default=DEFAULT, translations=TRANSLATIONS, languages=languages)
    assert (chosen.title, chosen.description) == (title, description)


def test_choose_texts_falls_back_to_the_default_without_english():
    assert choose_texts(default=DEFAULT, translations=TRANSLATIONS[1:], languages=["es"]) == DEFAULT


def test_the_listeners_language_comes_after_locale_and_before_accept_language():
    assert requested_languages(locale=None, accept_language="de", user_language="es") == ["es"]
    assert requested_languages(locale="sv_SE", accept_language="de", user_language="es") == [
        "sv-se",
        "sv",
    ]
    assert requested_languages(locale=None, accept_language="de", user_language="") == ["de"]
