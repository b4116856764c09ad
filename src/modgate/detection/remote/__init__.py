"""Remote detector backends: detectors whose model runs elsewhere (Amazon Rekognition, a vision
guard model behind an OpenAI-compatible endpoint), behind the outbound guard and one shared
discipline (timeout, jittered retries, circuit breaker, concurrency limit, cost counters).

``base.RemoteDetector`` is the plugin base; ``discipline`` the shared request handling;
``usage`` the counters; ``rekognition`` and ``openai_guard`` the built-in backends;
``testing`` a fake OpenAI-compatible server for tests and benchmarks. Which items they see is
decided by the cascade (``modgate.detection.cascade``); docs/remote.md has the whole story.
"""
