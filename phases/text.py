"""Small helpers for reading what learners write: words, stems and numbers."""

import re
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"\d")
# Words that carry no meaning when matching a requirement against a capability.
STOPWORDS = frozenset(
    "a an the to of for and or in on by with from into their its it his her them they "
    "can could may should must will would be is are was were able user users someone "
    "anyone people person system service app application".split()
)

_stemmer = snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def stems(text: str, *, keep_stopwords: bool = False) -> list[str]:
    return [stem(w) for w in words(text) if keep_stopwords or w not in STOPWORDS]


def mentions(text: str, phrase: str) -> bool:
    """Whether every meaningful word of ``phrase`` appears in ``text``, in any form.

    "Users can shorten a long link" mentions "shortened link"; word order and
    inflection do not matter, so synonyms are listed as short phrases.
    """
    needed = set(stems(phrase))
    if not needed:
        return False
    return needed <= set(stems(text))


def has_number(text: str) -> bool:
    return bool(_NUMBER.search(text or ""))


def is_blank(text) -> bool:
    return not (text or "").strip()
