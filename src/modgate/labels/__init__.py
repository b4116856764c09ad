"""Custom labels as a use case: train from folders, files or reviewed history, retrain with a
shadow evaluation, read status and metrics (the CLI ``modgate labels`` and ``/v1/custom-labels``).

The maths (heads, training, embedders) and storage live in ``modgate.detection.custom``; this
package reads the review history to find examples and decides when a new version goes live.
"""
