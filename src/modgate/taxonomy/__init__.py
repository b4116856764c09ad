"""Amazon Rekognition's moderation taxonomy (v7) as data, with lookups and older-version import."""

from modgate.taxonomy.legacy import (
    ImportedLabels,
    LegacyMapping,
    import_moderation_labels,
    map_label,
    to_response_labels,
)
from modgate.taxonomy.tree import (
    Taxonomy,
    TaxonomyLabel,
    custom_labels,
    load_taxonomy,
    register_custom_labels,
    shipped_taxonomy_v7,
    taxonomy_v7,
)

CONTENT_TYPES = ("Animated", "Illustrated")

__all__ = [
    "CONTENT_TYPES",
    "ImportedLabels",
    "LegacyMapping",
    "Taxonomy",
    "TaxonomyLabel",
    "custom_labels",
    "import_moderation_labels",
    "load_taxonomy",
    "map_label",
    "register_custom_labels",
    "shipped_taxonomy_v7",
    "taxonomy_v7",
    "to_response_labels",
]
