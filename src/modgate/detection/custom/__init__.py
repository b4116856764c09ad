"""Custom labels: small heads trained on frozen embeddings of a shipped backbone.

A custom label is a logistic-regression head (``LinearHead``) over the embedding one shipped
model gives (an image backbone's pooled features, or a sentence embedding of a text), trained
by ``training.train_head`` with cross-validated metrics and Platt-calibrated probabilities. The
heads are plain numpy weights, so a worker needs nothing beyond numpy to apply one; the
``custom`` detector applies every active head to the features the backbone detectors already
computed for the image. Storage, versions and training jobs: ``modgate.labels``.
"""
