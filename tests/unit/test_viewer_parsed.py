"""The parsed detections a viewer's decisions keep: per tenant, the least recently used first
to go."""

from __future__ import annotations

from modgate.taxonomy.detections import ImageDetections, Label
from modgate.viewer.service import ParsedDetections

SWIMWEAR = ImageDetections((Label("Swimwear or Underwear", 60.0, "", 1),), model_version="v1")


def test_detections_are_kept_per_tenant_and_the_least_recently_used_go_first() -> None:
    parsed = ParsedDetections(max_entries=2)
    parsed.put_many({("acme", "a" * 64, "v1"): SWIMWEAR, ("acme", "b" * 64, "v1"): SWIMWEAR})
    # The same bytes are not found for another tenant.
    assert parsed.get_many([("globex", "a" * 64, "v1")]) == {}
    assert parsed.get_many([("acme", "a" * 64, "v1")]) == {("acme", "a" * 64, "v1"): SWIMWEAR}
    parsed.put_many({("acme", "c" * 64, "v1"): SWIMWEAR})  # b was used least recently
    kept = parsed.get_many([("acme", key * 64, "v1") for key in "abc"])
    assert sorted(key[1][0] for key in kept) == ["a", "c"]
    assert len(parsed) == 2
