"""``phases.reading.text``: how learners' sentences are matched against the phrases the
rules expect.
"""

import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phases.reading.text import has_number, is_blank, mentions, stem, stems, words


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Users can shorten links", "shortened link"),
        ("A user can shorten a URL", "URL shortening"),
        ("Shortened URLs", "shorten url"),
        ("Links get redirected", "redirect"),
        ("A visitor can follow a short link", "follow link"),
        ("A link owner can delete their short link", "deleting a short link"),
        ("deleted", "deletion"),
        ("clicked links", "click link"),
        ("counting clicks", "click count"),
        ("A link owner can see how many times their link was opened", "how many times"),
        ("SHORTEN LINKS", "shorten link"),
        ("short-link", "short link"),
        ("A visitor's link", "visitor"),
    ],
)
def test_mentions_ignores_inflection_case_and_punctuation(text, phrase):
    assert mentions(text, phrase)


def test_mentions_ignores_word_order():
    assert mentions("Users can shorten links", "links shorten")
    assert mentions("Long URLs can be shortened by any user", "shorten long url")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        # "short" and "shorten" stem differently: opening a short link is not shortening.
        ("A visitor can open a short link", "shorten"),
        # Synonyms are not inferred; they must be listed as phrases.
        ("A visitor can follow a short link", "redirect"),
        ("The owner can view stats", "statistics"),
        # Every meaningful word of the phrase is needed.
        ("Users can shorten links", "shorten link analytics"),
    ],
)
def test_mentions_needs_every_word_of_the_phrase(text, phrase):
    assert not mentions(text, phrase)


@pytest.mark.parametrize("phrase", ["", "the", "a user can", "The system should"])
def test_phrase_of_only_stopwords_mentions_nothing(phrase):
    assert not mentions("The user can shorten links in the system", phrase)


def test_stopwords_in_the_phrase_are_not_required():
    # "user" is a stopword, so the phrase only needs "shorten".
    assert mentions("Shortening", "a user can shorten")
    assert not mentions("Users can shorten links", "user")


def test_empty_text_mentions_nothing():
    assert not mentions("", "shorten")


def test_words_and_stems():
    assert words("Owner's short-links, 2 GB!") == ["owner's", "short", "links", "2", "gb"]
    assert stems("The users can shorten links") == ["shorten", "link"]
    assert stems("The users can shorten links", keep_stopwords=True) == [
        "the",
        "user",
        "can",
        "shorten",
        "link",
    ]


def test_has_number_and_is_blank():
    assert has_number("p99")
    assert not has_number("fast")
    assert not has_number("")
    assert not has_number(None)
    assert is_blank("  ")
    assert is_blank(None)
    assert not is_blank("x")


@given(st.text(max_size=60))
def test_text_mentions_itself_unless_it_has_no_meaningful_words(text):
    assert mentions(text, text) == bool(stems(text))


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=20))
def test_adding_words_to_the_text_keeps_a_mention(text, more, phrase):
    if mentions(text, phrase):
        assert mentions(f"{text} {more}", phrase)


def test_stemming_from_many_threads_at_once_gives_each_word_its_own_stem():
    """Threaded web workers stem words at the same time; a shared stemmer mixed them up."""
    stem_uncached = stem.__wrapped__
    words_ = [
        f"{base}{suffix}"
        for base in ("shorten", "redirect", "replicat", "cach", "shard")
        for suffix in ("ing", "ed", "es", "ation", "ings", "ers", "s", "")
    ] * 40
    expected = [stem_uncached(w) for w in words_]
    failures: list[str] = []

    def work() -> None:
        try:
            got = [stem_uncached(w) for w in words_]
        except Exception as exc:  # noqa: BLE001 - the failure this test is about
            failures.append(repr(exc))
            return
        if got != expected:
            failures.append("a word got another word's stem")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert failures == []
