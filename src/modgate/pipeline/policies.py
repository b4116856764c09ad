"""Which policy decides a moderation: the one active for its surface, else the one active for
``default``, else the default policy file. Loaded policies are cached by version, so each version
is compiled once per process (``modgate.policy.engine.compiled``) whoever asks for it: jobs, or
decisions made again for viewers (which may also name a stored version, ``pinned``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from modgate.policy import Policy, load_policy
from modgate.policy.store import PolicyStore

logger = logging.getLogger(__name__)

DEFAULT_SURFACE = "default"


def shipped_seed_policy() -> Path | None:
    """``policies/seed.yaml`` of a source checkout, when modgate runs from one."""
    candidate = Path(__file__).resolve().parents[3] / "policies" / "seed.yaml"
    return candidate if candidate.is_file() else None


class PolicyResolver:
    def __init__(
        self,
        store: PolicyStore,
        default_file: str = "",
        default_surface: str = DEFAULT_SURFACE,
        shadow_enabled: bool = True,
        cache_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, tuple[Policy | None, list[Policy]]]] = {}
        # The surface whose activation decides each asked-for surface (bounded label values).
        self._deciding: dict[str, str] = {}
        self.default_surface = default_surface
        self.shadow_enabled = shadow_enabled
        self.default_file = Path(default_file) if default_file else shipped_seed_policy()
        self._fallback: Policy | None = None
        self._known: dict[str, float] = {}
        self._pinned: dict[str, Policy] = {}

    def fallback(self) -> Policy | None:
        if self._fallback is None and self.default_file is not None:
            self._fallback = load_policy(self.default_file)
            logger.info(
                "no active policy: using %s (%s)", self.default_file, self._fallback.version[:12]
            )
        return self._fallback

    def for_surface(self, surface: str | None) -> tuple[Policy | None, list[Policy]]:
        """The policy to enforce and the shadow candidates for ``surface``.

        Looked up at most every ``cache_seconds`` per surface: an activation, rollback or shadow
        change reaches the workers within that time without a database round trip per item.
        """
        name = surface or self.default_surface
        now = self.monotonic()
        cached = self._cache.get(name)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        resolved, deciding = self._resolve(name)
        self._cache[name] = (now, resolved)
        self._deciding[name] = deciding
        return resolved

    def deciding_surface(self, surface: str | None) -> str:
        """The surface whose activated policy decided ``surface`` at its last lookup: itself
        when a policy is active for it, else the default surface. An administrator's name,
        never a client's free text, so it can label metrics."""
        return self._deciding.get(surface or self.default_surface, self.default_surface)

    def _resolve(self, name: str) -> tuple[tuple[Policy | None, list[Policy]], str]:
        for candidate in dict.fromkeys((name, self.default_surface)):
            stored = self.store.active_for(candidate)
            if stored is not None:
                shadows = []
                if self.shadow_enabled:
                    shadows = [s.load() for s in self.store.shadows_for(candidate)]
                return (stored.load(), shadows), candidate
        return (self.fallback(), []), self.default_surface

    def is_known(self, surface: str) -> bool:
        """Whether a caller may name ``surface``: the default surface, one with an active
        policy, or one the default policy file is written for. Answered from the database at
        most every ``cache_seconds`` for a known surface; an unknown one is asked each time
        (nothing is kept for names that mean nothing)."""
        if surface == self.default_surface:
            return True
        now = self.monotonic()
        seen = self._known.get(surface)
        if seen is not None and now - seen < self.cache_seconds:
            return True
        fallback = self.fallback()
        if self.store.active_for(surface) is None and (
            fallback is None or surface not in fallback.surfaces
        ):
            self._known.pop(surface, None)
            return False
        self._known[surface] = now
        return True

    def pinned(self, version: str) -> Policy:
        """The stored policy ``version`` (or an unambiguous prefix of one); a full version,
        which can never change, is looked up once."""
        found = self._pinned.get(version)
        if found is None:
            stored = self.store.get(version)
            found = stored.load()
            if stored.version == version:
                self._pinned[version] = found
        return found
