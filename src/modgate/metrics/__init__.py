"""Operations metrics: the summary of what the automation and the reviewers did over a period
(``GET /v1/metrics/summary``, ``modgate metrics``) and the Prometheus scrape (``/metrics``)."""
