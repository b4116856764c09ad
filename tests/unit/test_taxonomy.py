from __future__ import annotations

import pytest

from modgate.errors import UnknownLabelException
from modgate.taxonomy import import_moderation_labels, map_label, taxonomy_v7


def test_tree_has_every_v7_label_verbatim() -> None:
    tree = taxonomy_v7()
    assert (len(tree.by_level(1)), len(tree.by_level(2)), len(tree.by_level(3))) == (10, 20, 22)
    assert "Non-Explicit Nudity of Intimate parts and Kissing" in tree
    assert "Swimwear or Underwear" in tree
    assert (
        tree.get("Kissing on the Lips").parent
        == "Non-Explicit Nudity of Intimate parts and Kissing"
    )


def test_ancestors_and_descendants() -> None:
    tree = taxonomy_v7()
    assert [label.name for label in tree.ancestors("Exposed Female Nipple")] == [
        "Explicit Nudity",
        "Explicit",
    ]
    assert tree.ancestors("Explicit") == []
    assert {label.name for label in tree.descendants("Visually Disturbing")} == {
        "Death and Emaciation",
        "Emaciated Bodies",
        "Corpses",
        "Crashes",
        "Air Crash",
    }
    assert tree.is_within("Air Crash", "Visually Disturbing")
    assert not tree.is_within("Explicit", "Explicit Nudity")
    assert tree.get("Explicit").parent_name == ""


def test_typo_suggests_close_names() -> None:
    with pytest.raises(UnknownLabelException) as caught:
        taxonomy_v7().get("Explict Nudity")
    assert caught.value.details["suggestions"][0] == "Explicit Nudity"
    assert "Did you mean 'Explicit Nudity'" in caught.value.message
    assert taxonomy_v7().suggest("swimwear or underwear") == ["Swimwear or Underwear"]


def test_lookup_is_case_sensitive_like_a2i() -> None:
    with pytest.raises(UnknownLabelException):
        taxonomy_v7().get("explicit")


def test_alternate_spelling_resolves_to_canonical() -> None:
    tree = taxonomy_v7()
    assert (
        tree.canonical("Drug & Tobacco Paraphernalia & Use")
        == "Drugs & Tobacco Paraphernalia & Use"
    )


def test_v6_labels_map_onto_v7() -> None:
    assert map_label("Graphic Male Nudity", "Explicit Nudity").v7 == ("Exposed Male Genitalia",)
    assert map_label("Explicit Nudity", "").v7 == ("Explicit",)  # v6 L1, not v7's L2
    assert map_label("Explicit Nudity", "Explicit").v7 == ("Explicit Nudity",)  # already v7
    assert map_label("Hanging", "Visually Disturbing").v7 == ("Corpses",)
    assert map_label("Gambling", "Gambling").v7 == ("Gambling",)
    assert map_label("Illustrated Explicit Nudity", "Explicit Nudity").content_types == (
        "Illustrated",
    )


def test_importing_a_v6_response_keeps_max_confidence_and_adds_ancestors() -> None:
    imported = import_moderation_labels(
        [
            {"Name": "Suggestive", "ParentName": "", "Confidence": 70.0},
            {
                "Name": "Female Swimwear Or Underwear",
                "ParentName": "Suggestive",
                "Confidence": 91.5,
            },
            {"Name": "Partial Nudity", "ParentName": "Suggestive", "Confidence": 60.0},
        ]
    )
    by_name = {label["Name"]: label for label in imported.moderation_labels}
    assert by_name["Female Swimwear or Underwear"]["TaxonomyLevel"] == 2
    assert by_name["Swimwear or Underwear"] == {
        "Confidence": 91.5,
        "Name": "Swimwear or Underwear",
        "ParentName": "",
        "TaxonomyLevel": 1,
    }
    assert by_name["Implied Nudity"]["ParentName"] == "Non-Explicit Nudity"
    assert by_name["Non-Explicit Nudity of Intimate parts and Kissing"]["Confidence"] == 70.0
    assert imported.moderation_labels[0]["Confidence"] == 91.5  # highest first


def test_unknown_old_label_is_refused() -> None:
    with pytest.raises(UnknownLabelException):
        map_label("Spaceships", "Suggestive")
