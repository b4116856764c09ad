"""Amazon Rekognition's own wire protocol on modgate's server, so code written for Rekognition
(boto3, the AWS SDKs and CLI) works against modgate by changing only its endpoint URL.

``POST /`` with ``X-Amz-Target: RekognitionService.<Operation>`` (AWS JSON 1.1), signed with
SigV4 by credentials from ``modgate keys create NAME --aws`` (``modgate.auth.aws``):
``DetectModerationLabels``, ``StartContentModeration`` and ``GetContentModeration``. Every call
is a moderation like any other (policy, review lane, events, tenant of the key); answers and
errors are shaped as Rekognition's (``{"__type", "message"}``, ``x-amzn-RequestId``).
"""
