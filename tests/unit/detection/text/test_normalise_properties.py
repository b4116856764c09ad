"""Normalisation keeps its promises for any text: the two forms have the same length, every
character maps back to a character of the original in order, a word hidden with invisible or
full-width characters maps back to exactly the characters that spelled it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.detection.text.normalize import normalise

HIDING = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x07", "\u202e"]
WIDE = {c: chr(ord(c) + 0xFEE0) for c in "abcdefghijklmnopqrstuvwxyz"}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_forms_line_up_with_the_original(text: str) -> None:
    found = normalise(text)
    assert len(found.text) == len(found.folded) == len(found.origin)
    assert list(found.origin) == sorted(found.origin)
    assert all(0 <= index < len(text) for index in found.origin)
    begin, end = found.span_in_original(0, len(found.text))
    assert 0 <= begin <= end <= len(text)


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
    st.lists(st.sampled_from(HIDING), max_size=6),
    st.booleans(),
    # Punctuation around the word that leetspeak never reads as a letter ("!" reads as "i").
    st.text(alphabet=" ,;", max_size=3),
)
def test_a_hidden_word_maps_back_to_its_spelling(
    word: str, hiding: list[str], wide: bool, around: str
) -> None:
    spelled = "".join(WIDE[c] if wide else c for c in word)
    for index, invisible in enumerate(hiding):  # invisible characters between its letters
        at = 1 + index % max(1, len(spelled) - 1)
        spelled = spelled[:at] + invisible + spelled[at:]
    text = f"{around}{spelled}{around}"
    found = normalise(text)
    start = found.folded.find(word)
    assert start >= 0, (text, found.folded)
    begin, end = found.span_in_original(start, start + len(word))
    assert normalise(text[begin:end]).folded == word
    assert text[begin:end].startswith(spelled[0])
