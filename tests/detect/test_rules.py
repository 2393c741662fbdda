"""Rules as data: every rule finds its own kind, and the validators never reject random bodies."""

from __future__ import annotations

import random
import string

import pytest

from hfsecure_jupyter import detect
from hfsecure_jupyter.detect.rules import RULES, looks_like_placeholder, rule_by_id
from hfsecure_jupyter.testing import FAKE_KINDS, fake_token

KIND_TO_RULE = {"hf": "hf-user-token", "hf-org": "hf-org-token", "openai": "openai-api-key",
                "anthropic": "anthropic-api-key", "github": "github-token",
                "github-fine-grained": "github-fine-grained-token", "aws": "aws-access-key-id",
                "google": "google-api-key", "slack": "slack-token"}


def test_every_rule_has_a_fake_kind_and_is_data():
    assert set(KIND_TO_RULE.values()) == {r.id for r in RULES}
    assert set(KIND_TO_RULE) == set(FAKE_KINDS)
    for r in RULES:
        assert r.keywords and r.description and r.revoke_url.startswith("https://")


@pytest.mark.parametrize("kind", sorted(KIND_TO_RULE))
def test_each_rule_finds_its_kind_in_quotes_and_prose(kind):
    for seed in range(20):
        secret = fake_token(kind, seed=seed)
        for text in (f'key = "{secret}"', f"use {secret} here", f"{secret}"):
            found = detect.scan_text(text)
            assert [f.rule for f in found] == [KIND_TO_RULE[kind]], (text, found)
            assert secret not in repr(found)


@pytest.mark.parametrize("kind", ["hf", "hf-org", "github", "github-fine-grained", "aws", "google"])
def test_fixed_length_rules_refuse_a_longer_run(kind):
    secret = fake_token(kind, seed=1)
    assert detect.scan_text("x" + secret) == []
    assert detect.scan_text(secret + "Q7") == []
    assert len(detect.scan_text(" " + secret + " ")) == 1


@pytest.mark.parametrize("digits", [False, True])
def test_random_hf_bodies_are_never_placeholders(digits):
    # The product must not miss real tokens: 20,000 random bodies, none rejected.
    rng = random.Random(2026 + digits)
    alphabet = string.ascii_letters + (string.digits if digits else "")
    rule = rule_by_id("hf-user-token")
    rejected = 0
    for _ in range(20_000):
        body = "".join(rng.choice(alphabet) for _ in range(34))
        if not (any(c.islower() for c in body) and any(c.isupper() for c in body)):
            continue  # one in 10^10: not a real token shape
        rejected += not rule.validator(body)
    assert rejected == 0


@pytest.mark.parametrize("body", ["x" * 34, "abcdefghijklmnopqrstuvwxyzABCDEFGH", "AutoModelForSequenceClassification",
                                  "ThisIsMyExampleTokenValue12345678", "aAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaAaA",
                                  "0123456789" * 3 + "abcd", "YourTokenGoesHereReplaceMeNowPlease"])
def test_placeholders_and_words_are_rejected(body):
    assert looks_like_placeholder(body)


def test_single_case_body_is_not_an_hf_token():
    assert detect.scan_text("hf_" + fake_token(seed=4)[3:].lower()) == []
    assert detect.scan_text("hf_" + fake_token(seed=4)[3:].upper()) == []


def test_aws_example_key_is_allowed():
    assert detect.scan_text("AKIA" + "IOSFODNN7" + "EXAMPLE") == []
