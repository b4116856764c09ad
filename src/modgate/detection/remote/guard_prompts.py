"""The questions ``openai_guard`` asks a vision model by default: one multiple-choice prompt per
category set, each answer a single letter that maps onto one v7 label (``N``: none of them).

A single-letter answer keeps the reply one token long, so the server's log-probabilities of the
letters are the model's probabilities for the labels (normalised over the letters offered). The
sets group labels a picture mostly shows one of at a time; they cover the labels no local model
covers (docs/coverage.md). Operators may replace them (option ``categories``).
"""

from __future__ import annotations

_INSTRUCTION = (
    "You are a content moderation classifier. Look at the image and answer with the single "
    "letter of the option that best describes it, and nothing else.\n"
)


def _prompt(options: list[tuple[str, str]]) -> str:
    lines = [f"{letter}: {text}" for letter, text in options]
    return _INSTRUCTION + "\n".join(lines) + "\nN: none of these\nAnswer:"


def _category(options: list[tuple[str, str, str]]) -> dict[str, object]:
    return {
        "prompt": _prompt([(letter, text) for letter, text, _ in options]),
        "options": {**{letter: label for letter, _, label in options}, "N": None},
    }


DEFAULT_CATEGORIES: dict[str, dict[str, object]] = {
    "violence": _category(
        [
            ("A", "a weapon used against a person (shooting, stabbing)", "Weapon Violence"),
            ("B", "people fighting, hitting or beating someone", "Physical Violence"),
            ("C", "self-harm (cutting, suicide attempt)", "Self-Harm"),
            ("D", "blood, gore or open wounds", "Blood & Gore"),
            ("E", "an explosion, blast or fireball", "Explosions and Blasts"),
        ]
    ),
    "disturbing": _category(
        [
            ("A", "severely emaciated or starving bodies", "Emaciated Bodies"),
            ("B", "a dead body or corpse", "Corpses"),
            ("C", "the wreck of an aircraft crash", "Air Crash"),
            ("D", "a car, train or other vehicle crash", "Crashes"),
        ]
    ),
    "hate": _category(
        [
            ("A", "Nazi symbols (swastika, Nazi flag or salute, SS runes)", "Nazi Party"),
            (
                "B",
                "white supremacist symbols (Ku Klux Klan robes, white-power signs)",
                "White Supremacy",
            ),
            ("C", "extremist or terrorist flags and propaganda", "Extremist"),
        ]
    ),
    "sexual": _category(
        [
            ("A", "sexual activity between people", "Explicit Sexual Activity"),
            ("B", "sex toys", "Sex Toys"),
            ("C", "people kissing on the lips", "Kissing on the Lips"),
        ]
    ),
    "partial_nudity": _category(
        [
            ("A", "a bare back", "Bare Back"),
            ("B", "partially exposed buttocks", "Partially Exposed Buttocks"),
            ("C", "a partially exposed female breast", "Partially Exposed Female Breast"),
            ("D", "nudity implied but not shown", "Implied Nudity"),
            ("E", "a female nipple covered by a hand or object", "Obstructed Female Nipple"),
            ("F", "male genitals covered by a hand or object", "Obstructed Male Genitalia"),
        ]
    ),
    "substances": _category(
        [
            ("A", "someone smoking (cigarette, cigar, vape)", "Smoking"),
            ("B", "someone drinking alcohol", "Drinking"),
        ]
    ),
}
