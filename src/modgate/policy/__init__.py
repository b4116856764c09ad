"""Customer-owned moderation policy: YAML format, loader with positions, pure engine, tooling.

``load_policy(path)`` validates a policy file; ``evaluate(policy, detections, context)`` returns a
``Decision`` naming the action, the rule that fired and the policy version. See ``README.md``.
"""

from modgate.policy.context import Context
from modgate.policy.decision import Decision, Match
from modgate.policy.engine import evaluate
from modgate.policy.loader import load_policy, policy_from_text, policy_schema, version_of
from modgate.policy.model import ACTIONS, SEVERITY, Policy, Route

__all__ = [
    "ACTIONS",
    "SEVERITY",
    "Context",
    "Decision",
    "Match",
    "Policy",
    "Route",
    "evaluate",
    "load_policy",
    "policy_from_text",
    "policy_schema",
    "version_of",
]
