"""Word lists: profanity (better-profanity's list) and words and phrases per toxicity label.

Matching is on the *folded* text (``modgate.detection.text.normalize``): case, diacritics,
look-alike letters, zero-width characters and leetspeak are already undone, so one entry covers
``Fuck``, ``ｆｕｃｋ``, ``fu\u200bck`` and ``f*ck``-free variants such as ``fvck``'s neighbour
``fuk`` only when listed. Entries match whole words (so "Scunthorpe", "assessment" and
"cocktail" match nothing), phrases of up to six words, a word with its letters spaced out
(``f u c k``, ``f.u.c.k``), letters repeated for emphasis (``fuuuck``) and the endings s, es, ed,
er, ers and ing. The work is one dictionary lookup per n-gram: linear in the text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from importlib import resources

from modgate.detection.text.base import TextDetector, TextEvidence, TextOutput
from modgate.detection.text.normalize import NormalisedText, normalise

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_REPEATS = re.compile(r"(.)\1{2,}")
_ENDINGS = ("ing", "ers", "er", "ed", "es", "s")
_SECOND_PERSON = frozenset({"you", "your", "youre", "you're", "ur", "u", "ya", "yours", "thou"})
_MAX_PHRASE = 6
# How sure a hit makes each label (0–1). An insult word is a sure insult when it is aimed at
# someone ("you idiot"), less so alone ("that was stupid").
_SCORES = {
    "PROFANITY": 0.9,
    "HATE_SPEECH": 0.9,
    "INSULT": 0.6,
    "GRAPHIC": 0.85,
    "HARASSMENT_OR_ABUSE": 0.9,
    "SEXUAL": 0.8,
    "VIOLENCE_OR_THREAT": 0.9,
}
_AIMED_INSULT = 0.9
# Obfuscation (letters spaced out, look-alikes, leetspeak) says the writer meant the word.
_OBFUSCATED_BONUS = 0.05

Token = tuple[str, int, int]


def tokens(folded: str) -> list[Token]:
    """The words of a folded text with their spans; runs of single letters split by one
    separator (``f.u.c.k``, ``f u c k``) are joined into one word as well."""
    found = [(m.group(0).replace("'", ""), m.start(), m.end()) for m in _WORD.finditer(folded)]
    joined: list[Token] = []
    run: list[Token] = []
    for token in [*found, ("", -9, -9)]:
        if len(token[0]) == 1 and (not run or token[1] - run[-1][2] == 1):
            run.append(token)
            continue
        if len(run) >= 3:
            joined.append(("".join(t[0] for t in run), run[0][1], run[-1][2]))
        run = [token] if len(token[0]) == 1 else []
    return sorted(found + joined, key=lambda t: (t[1], t[2]))


def _forms(word: str) -> Iterator[str]:
    """The word, with emphasis repeats squeezed, and without a common ending."""
    yield word
    squeezed = {_REPEATS.sub(r"\1", word), _REPEATS.sub(r"\1\1", word)} - {word}
    yield from squeezed
    for form in (word, *squeezed):
        for ending in _ENDINGS:
            if form.endswith(ending) and len(form) - len(ending) >= 3:
                yield form[: -len(ending)]


def entry_key(entry: str) -> str:
    """An entry as the folded words it matches, space-separated."""
    return " ".join(t[0] for t in tokens(normalise(entry).folded)) if entry.strip() else ""


class WordListDetector(TextDetector):
    """Profanity and the other toxicity labels from word and phrase lists (English)."""

    name = "wordlists"
    version = "better-profanity-0.7.0+lexicon-1"
    labels = (
        "PROFANITY",
        "HATE_SPEECH",
        "INSULT",
        "GRAPHIC",
        "HARASSMENT_OR_ABUSE",
        "SEXUAL",
        "VIOLENCE_OR_THREAT",
    )
    languages = ("en",)
    requires = ("better_profanity",)

    def setup(self) -> None:
        self.table: dict[str, set[str]] = {}
        self.phrase_starts: set[str] = set()
        profanity = resources.files("better_profanity").joinpath("profanity_wordlist.txt")
        here = resources.files("modgate.detection.text.detectors")
        lexicon = json.loads(here.joinpath("lexicon_en.json").read_text("utf-8"))
        mild = {entry_key(entry) for entry in lexicon.get("NOT_PROFANITY", ())}
        for line in profanity.read_text("utf-8").splitlines():
            if entry_key(line) not in mild:
                self._add(line, "PROFANITY")
        for label in self.labels:
            for entry in lexicon.get(label, ()):
                self._add(entry, label)

    def _add(self, entry: str, label: str) -> None:
        key = entry_key(entry)
        words = key.split(" ")
        if key and len(words) <= _MAX_PHRASE:
            self.table.setdefault(key, set()).add(label)
            if len(words) > 1:
                self.phrase_starts.add(words[0])

    def predict(self, texts: Sequence[NormalisedText]) -> list[TextOutput]:
        return [self._one(text) for text in texts]

    def _one(self, text: NormalisedText) -> TextOutput:
        words = tokens(text.folded)
        out = TextOutput()
        plain = [w[0] for w in words]
        # Whether token k overlaps token k + 1 (a spaced-out word and its own letters).
        overlapping = [words[k + 1][1] < words[k][2] for k in range(len(words) - 1)]
        seen: dict[str, set[str]] = {}
        for index, word in enumerate(plain):
            longest = 1
            if word in self.phrase_starts:
                longest = min(_MAX_PHRASE, len(words) - index)
            for size in range(longest, 0, -1):
                if size > 1:
                    if any(overlapping[index : index + size - 1]):
                        continue
                    labels = self.table.get(" ".join(plain[index : index + size]), set())
                else:
                    if word not in seen:
                        seen[word] = self._lookup_word(word)
                    labels = seen[word]
                if labels:
                    begin, end = words[index][1], words[index + size - 1][2]
                    for label in labels:
                        score = self._score(label, text, plain, index, begin, end)
                        out.labels.append(TextEvidence(label, score, begin, end, self.name))
                    break
        return out

    def _lookup_word(self, word: str) -> set[str]:
        for form in _forms(word):
            found = self.table.get(form)
            if found:
                return found
        return set()

    @staticmethod
    def _score(
        label: str, text: NormalisedText, plain: list[str], index: int, begin: int, end: int
    ) -> float:
        score = _SCORES[label]
        if label == "INSULT" and _SECOND_PERSON.intersection(plain[max(0, index - 4) : index]):
            score = _AIMED_INSULT
        if text.folded[begin:end] != text.text[begin:end].lower():
            score = min(1.0, score + _OBFUSCATED_BONUS)
        return score
