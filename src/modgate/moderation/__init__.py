"""The moderation record: one row per moderation request, the record every later stage reads and
fills. Its rows (``tables``), typed values (``models``), the ``ModerationStore`` that reads and
writes it (``store``) and its public JSON (``public``) live here, so the pipeline, the review lane
and the backtests share one definition instead of reaching into each other."""
