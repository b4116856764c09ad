"""modgate's built-in detectors, registered under the ``modgate.detectors`` entry-point group."""
