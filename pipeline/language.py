"""Cheap, dependency-free language identification for news text.

The pipeline only needs to route articles (keep English, set the rest aside), so a stopword
profile is enough: function words dominate any paragraph of running text, are stable across
topics, and — unlike character n-grams — are not thrown off by foreign names in English news.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["detect_language"]

_PROFILES_RAW: dict[str, str] = {
    "en": """the of and to in a is that for it as was with be by on not he i this are or his
        from at which but have an they you were her she there been has had would their will
        we all one so if what when who its them said about into than more also after could
        can over these our out up do did those other some while should because""",
    "fr": """le la les de des du un une et est en que qui dans pour pas sur au aux avec ce cette
        ces il elle ils elles ne se son sa ses leur leurs nous vous par plus mais ou été être
        avait sont ont fait comme tout très aussi après entre depuis sans sous selon dont lors
        où était cet même""",
    "de": """der die das und ist in den von zu mit sich des auf für nicht eine ein als auch es
        an er hat dem im sie nach wird bei einer um noch wie einem über einen so zum war haben
        nur oder aber vor zur bis mehr durch kann wurde sind ihre seine werden ich wir diese
        dass am unter schon""",
    "es": """el la los las de del y en que un una es por con para se no su sus al lo como más
        pero fue ha han este esta son entre sobre también muy sin hasta desde donde todo ya
        otro cuando porque ser le les tiene dijo había era está según estos""",
    "it": """il lo la gli le di del della dei delle e è che un una per con non si da al alla
        nel nella sono ha anche come più ma questo questa dopo essere stato stata tra gli
        perché ancora molto già dove loro suo sua aveva erano fra hanno sul sulla degli""",
    "pt": """o a os as de do da dos das e em no na nos nas um uma que para com não por se mais
        como mas foi ao à pelo pela é são ser está estão também já muito seu sua seus suas
        ele ela eles entre depois sobre quando até isso isto tem foram pelos disse""",
    "nl": """de het een en van in is dat op te zijn met voor niet aan er die door ook als bij om
        maar uit dan nog wel heeft naar kan worden tot was hij zij wordt werd ze geen meer
        deze dit hun onder over zou hebben al waren wat tegen omdat""",
    "sv": """och i att det som en på är av för med till den har de inte om ett han hon men var
        jag vi sig från så kan eller när också efter skulle hade sina sin blir vid under mot
        detta denna där alla många mycket över ska bara nu än""",
    "pl": """i w na z się nie do to że jest o jak po co ale od za przez dla jego już tak są
        oraz być był była było tylko może też ich ten ta tego które który która jednak roku
        pod przed przy bardzo także gdy jeszcze można""",
    "tr": """ve bir bu da de için ile olarak çok daha en gibi olan kadar ama sonra ancak her
        şey ne o değil var yok olduğu ise ya göre değil ben sen biz onun bunu şu tarafından
        ilk yeni büyük diye oldu içinde karşı""",
    "id": """yang dan di ini itu dengan untuk tidak dari dalam akan pada juga ke karena ada
        oleh saya mereka kami kita telah sudah bisa atau seperti sebagai bahwa lebih setelah
        tersebut namun masih hanya adalah para secara belum menjadi""",
}

_PROFILES: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in _PROFILES_RAW.items()
}
# Which profiles each function word belongs to: one lookup per distinct word of a text instead
# of one per word and language.
_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _vocab in _PROFILES.items():
    for _word in _vocab:
        _LANGUAGES_OF[_word] = (*_LANGUAGES_OF.get(_word, ()), _lang)


def _profile_hits(words: list[str]) -> dict[str, int]:
    """How many of ``words`` are function words of each language (every language listed)."""
    hits = dict.fromkeys(_PROFILES, 0)
    for word, n in Counter(words).items():
        for lang in _LANGUAGES_OF.get(word, ()):
            hits[lang] += n
    return hits


_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# URLs, e-mail addresses and digit-bearing tokens (IDs, hashes) only add noise letters.
_NOISE_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+|\S*\d\S*")

_MIN_WORDS = 5
_MIN_HITS = 3
_SCRIPT_SHARE = 0.4  # non-Latin letters above this share decide the language on their own


def _script_of(char: str) -> str | None:
    """Classify a letter into the coarse scripts we route on."""
    code = ord(char)
    if code < 0x0250:
        return "latin"
    if 0x0370 <= code <= 0x03FF or 0x1F00 <= code <= 0x1FFF:
        return "el"
    if 0x0400 <= code <= 0x052F:
        return "ru"
    if 0x0590 <= code <= 0x05FF:
        return "he"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "ar"
    if 0x0900 <= code <= 0x097F:
        return "hi"
    if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF or 0xFF66 <= code <= 0xFF9F:
        return "kana"
    if 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F or 0xAC00 <= code <= 0xD7AF:
        return "ko"
    if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF:
        return "han"
    if unicodedata.category(char).startswith("L") and code < 0x2000:
        return "latin"  # Latin Extended Additional and other alphabetic odds
    return None


def _script_language(text: str) -> tuple[str, float] | None:
    if not text or max(text) < "\u0250":
        return None  # only Latin letters (or none): no other script can win; checked in C
    counts: dict[str, int] = {}
    letters = 0
    for char in text:
        if not char.isalpha():
            continue
        letters += 1
        script = _script_of(char)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    if not letters:
        return None
    cjk = counts.get("han", 0) + counts.get("kana", 0)
    best: tuple[str, int] | None = None
    for script, count in counts.items():
        if script in ("latin", "han", "kana"):
            continue
        if best is None or count > best[1]:
            best = (script, count)
    if cjk and (best is None or cjk > best[1]):
        # Kana is what tells Japanese from Chinese; Japanese prose always mixes it in.
        best = ("ja" if counts.get("kana", 0) > 0.1 * cjk else "zh", cjk)
    if best is None or best[1] / letters < _SCRIPT_SHARE:
        return None
    # Ideographs carry a lot per character, so a handful is already a real sample.
    enough = best[1] >= (10 if best[0] in ("zh", "ja") else 20)
    share = best[1] / letters
    return best[0], round(min(1.0, share) * (1.0 if enough else 0.5), 3)


def detect_language(text: str) -> tuple[str, float]:
    """Return ``(ISO 639-1 code or "und", confidence in 0..1)``.

    Confidence blends how much of the text is function words of the winning language with how
    clearly it beats the runner-up, so short or mixed snippets come out low rather than wrong.
    """
    text = _NOISE_RE.sub(" ", text)
    script = _script_language(text)
    if script is not None:
        return script
    words = [w.lower().replace("’", "'") for w in _WORD_RE.findall(text)]
    if len(words) < _MIN_WORDS:
        return "und", 0.0
    hits = _profile_hits(words)
    ranked = sorted(hits.items(), key=lambda kv: kv[1], reverse=True)
    (best, best_hits), (_, second_hits) = ranked[0], ranked[1]
    if best_hits < _MIN_HITS:
        return "und", round(min(0.3, best_hits / len(words)), 3)
    coverage = best_hits / len(words)  # ~0.4-0.5 for ordinary prose
    margin = (best_hits - second_hits) / best_hits
    confidence = min(1.0, coverage / 0.35) * (0.3 + 0.7 * margin)
    if len(words) < 15:
        confidence *= len(words) / 15
    if margin < 0.1:
        return "und", round(confidence, 3)
    return best, round(min(1.0, confidence), 3)


def could_be_english(text: str) -> bool:
    """True unless the text is in a non-Latin script or another language clearly out-votes English.

    ``detect_language`` is rightly unsure of a one-line headline ("Esther Williams dies at 91"):
    too few function words to vote. Such snippets are still worth processing as English when
    nothing points elsewhere; a paragraph of French, with its many French function words, is not.
    """
    text = _NOISE_RE.sub(" ", text)
    if _script_language(text) is not None:
        return False
    words = [w.lower().replace("’", "'") for w in _WORD_RE.findall(text)]
    hits = _profile_hits(words)
    english = hits.pop("en")
    rival = max(hits.values(), default=0)
    return rival < _MIN_HITS or english >= rival
