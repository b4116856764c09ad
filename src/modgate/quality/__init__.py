"""Measuring the automation's quality: which categories each decision flagged, a stratified
random draw of automatic decisions for blind human checks (the ``qa`` queue), and the
Horvitz–Thompson estimates of false positive and false negative rates those checks allow.

Nothing here changes a decision: a drawn item keeps its action; its check only measures.
"""

from modgate.quality.estimates import WeightedRate, weighted_rate, wilson
from modgate.quality.sampling import CategoryFlag, Draw, QualitySampler, category_flags

__all__ = [
    "CategoryFlag",
    "Draw",
    "QualitySampler",
    "WeightedRate",
    "category_flags",
    "weighted_rate",
    "wilson",
]
