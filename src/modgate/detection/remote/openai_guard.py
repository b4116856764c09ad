"""``openai_guard``: a vision model behind any OpenAI-compatible chat-completions endpoint (vLLM,
Ollama, llama.cpp server …) asked one multiple-choice question per category set.

For each set the image goes out with the set's prompt (``guard_prompts``), ``max_tokens: 1``,
``temperature: 0`` and ``logprobs`` with ``top_logprobs``. The answer is validated strictly: a
JSON body with ``choices[0].message.content`` equal (case aside, whitespace trimmed) to one of
the set's answers; anything else is a malformed answer, retried and counted as a failure.

Probabilities:

* the server returned ``top_logprobs`` for the answer token: each answer's probability is the
  summed probability of the tokens that spell it, normalised over the set's answers; each label
  gets its answer's probability;
* only the chosen token's ``logprob``: the chosen label gets ``exp(logprob)``, the others 0;
* no log-probabilities at all (some Ollama versions): the chosen label gets
  ``fallback_probability`` (default 0.8), the others 0.

Requests go through the outbound guard's client (``base_url`` is checked at setup, every
connection again) and the shared discipline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from modgate.detection.base import DetectorOutput, Evidence
from modgate.detection.frames import PreparedImage
from modgate.detection.remote.base import RemoteDetector
from modgate.detection.remote.discipline import RemoteCallError, RemoteOptions
from modgate.detection.remote.guard_prompts import DEFAULT_CATEGORIES
from modgate.detection.remote.usage import RemoteUsage
from modgate.errors import ModgateError, SettingsError
from modgate.outbound import OutboundGuard, error_class
from modgate.taxonomy import taxonomy_v7


class CategorySet(BaseModel):
    """One question: its prompt and what each answer means (a v7 label, or null for none)."""

    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1)
    options: dict[str, str | None] = Field(min_length=2)

    @model_validator(mode="after")
    def _labels_exist(self) -> CategorySet:
        tree = taxonomy_v7()
        for answer, label in self.options.items():
            if not answer.strip() or answer != answer.strip():
                raise ValueError(f"answer {answer!r} must be a word without surrounding spaces")
            if label is not None and label not in tree:
                raise ValueError(f"answer {answer!r} maps to {label!r}, not a v7 label")
        return self


class GuardOptions(RemoteOptions):
    base_url: str = Field(min_length=1, description="e.g. http://127.0.0.1:8001/v1")
    model: str = Field(min_length=1)
    api_key: SecretStr = SecretStr("")
    categories: dict[str, CategorySet] = Field(
        default_factory=lambda: {
            name: CategorySet.model_validate(value) for name, value in DEFAULT_CATEGORIES.items()
        },
        min_length=1,
    )
    fallback_probability: float = Field(default=0.8, gt=0, le=1)
    top_logprobs: int = Field(default=10, ge=0, le=20)


class _LogProb(BaseModel):
    model_config = ConfigDict(extra="ignore")
    token: str
    logprob: float = Field(le=0)


class _TokenLogProb(_LogProb):
    top_logprobs: list[_LogProb] = []


class _LogProbs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    content: list[_TokenLogProb] | None = None


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    content: str


class _Choice(BaseModel):
    model_config = ConfigDict(extra="ignore")
    message: _Message
    logprobs: _LogProbs | None = None


class _Completion(BaseModel):
    model_config = ConfigDict(extra="ignore")
    choices: list[_Choice] = Field(min_length=1)


def _default_labels() -> tuple[str, ...]:
    found: dict[str, None] = {}
    for category in DEFAULT_CATEGORIES.values():
        options = category["options"]
        assert isinstance(options, dict)
        found.update((label, None) for label in options.values() if label)
    return tuple(found)


def answer_probabilities(
    category: CategorySet, choice: _Choice, fallback: float
) -> dict[str, float]:
    """Each answer of ``category``'s probability, from the validated ``choice``."""
    answers = {answer.upper(): answer for answer in category.options}
    chosen = answers.get(choice.message.content.strip().upper())
    if chosen is None:
        raise RemoteCallError("malformed_answer")
    first = choice.logprobs.content[0] if choice.logprobs and choice.logprobs.content else None
    if first is None:
        return {chosen: fallback}
    if first.top_logprobs:
        mass: dict[str, float] = {}
        for item in first.top_logprobs:
            answer = answers.get(item.token.strip().upper())
            if answer is not None:
                mass[answer] = mass.get(answer, 0.0) + math.exp(item.logprob)
        total = sum(mass.values())
        if total > 0:
            return {answer: value / total for answer, value in mass.items()}
    return {chosen: math.exp(first.logprob)}


class OpenAIGuardDetector(RemoteDetector):
    """A vision guard model served behind an OpenAI-compatible ``/chat/completions``."""

    name = "openai_guard"
    version = "1"
    labels = _default_labels()
    Options: ClassVar[type[RemoteOptions]] = GuardOptions

    client: httpx.Client | None = None

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        threads: int = 1,
        *,
        outbound: OutboundGuard | None = None,
        usage: RemoteUsage | None = None,
    ) -> None:
        super().__init__(options, threads, outbound=outbound, usage=usage)
        prompts = json.dumps(
            {name: category.model_dump() for name, category in self.settings.categories.items()},
            sort_keys=True,
        )
        self.prompt_digest = hashlib.sha256(prompts.encode()).hexdigest()[:8]
        self._questions = ThreadPoolExecutor(
            self.settings.concurrency, thread_name_prefix="modgate-guard"
        )

    @property
    def settings(self) -> GuardOptions:
        options = self.options
        assert isinstance(options, GuardOptions)
        return options

    @property
    def model_tag(self) -> str:
        return f"{self.name}-{self.version}/{self.settings.model}/{self.prompt_digest}"

    @property
    def url(self) -> str:
        return self.settings.base_url.rstrip("/") + "/chat/completions"

    def setup(self) -> None:
        try:
            self.outbound.check_url(self.url)
        except ModgateError as exc:
            raise SettingsError(
                f"detector 'openai_guard': base_url {self.settings.base_url} is refused: "
                f"{exc.message} List its host in MODGATE_OUTBOUND_ALLOW if it is meant to be "
                "reached."
            ) from exc
        self.client = self.outbound.client(self.settings.timeout_seconds)

    def predict(self, images: Sequence[PreparedImage]) -> list[DetectorOutput]:
        return [self._detect_one(image) for image in images]

    def _detect_one(self, image: PreparedImage) -> DetectorOutput:
        """One image: every category set's question at once (as many in flight as the
        backend's ``concurrency`` allows)."""
        data_url = "data:image/jpeg;base64," + base64.b64encode(self.jpeg(image)).decode()
        categories = list(self.settings.categories.items())
        answers = self._questions.map(
            lambda item: self.caller.call(partial(self._ask, item[1], data_url), images=1),
            categories,
        )
        output = DetectorOutput()
        for (name, category), probabilities in zip(categories, answers, strict=True):
            for answer, probability in probabilities.items():
                label = category.options[answer]
                if label is not None and probability > 0:
                    canonical = taxonomy_v7().canonical(label)
                    source = f"{name}:{answer}"
                    output.evidence.append(Evidence(canonical, probability, self.name, source))
        return output

    def _ask(self, category: CategorySet, data_url: str) -> dict[str, float]:
        """One request; its answers' probabilities. Failures become ``RemoteCallError``."""
        body: dict[str, Any] = {
            "model": self.settings.model,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": category.prompt},
                        {"type": "image_url", "image_url": {"url": data_url}},
                    ],
                }
            ],
            "max_tokens": 1,
            "temperature": 0,
        }
        if self.settings.top_logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = self.settings.top_logprobs
        key = self.settings.api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        assert self.client is not None, "setup() was not called"
        try:
            response = self.client.post(self.url, json=body, headers=headers)
        except Exception as exc:  # httpx's and the guard's failures, classified in one place
            reason = error_class(exc)
            refused = reason in ("address_refused", "redirect_refused", "url_invalid")
            raise RemoteCallError(reason, retryable=not refused) from exc
        if response.status_code != 200:
            status = response.status_code
            retryable = status == 429 or status >= 500 or status == 408
            raise RemoteCallError(f"http_{status}", retryable=retryable)
        try:
            completion = _Completion.model_validate_json(response.content)
        except ValidationError as exc:
            raise RemoteCallError("malformed_answer") from exc
        return answer_probabilities(
            category, completion.choices[0], self.settings.fallback_probability
        )

    def close(self) -> None:
        self._questions.shutdown(wait=True)
        if self.client is not None:
            self.client.close()
