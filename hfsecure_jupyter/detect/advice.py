"""Advice texts written once: where Hugging Face tokens are managed, and how a token reaches a job safely.

In the core because rules and misuse checks need them and ``detect`` imports nothing from the rest of
the package; :mod:`hfsecure_jupyter.constants` re-exports them.

Example:
    >>> HF_TOKEN_SETTINGS_URL
    'https://huggingface.co/settings/tokens'
    >>> HF_JOB_SECRET_PLACEHOLDER
    'secrets={"HF_TOKEN": "$HF_TOKEN"}'
"""

from __future__ import annotations

__all__ = ["HF_TOKEN_SETTINGS_URL", "HF_TOKEN_ENV", "HF_TOKEN_ENV_NAMES", "HF_JOB_SECRET_PLACEHOLDER", "HF_REVOKE"]

#: Where a Hugging Face user creates, scopes and revokes access tokens.
HF_TOKEN_SETTINGS_URL = "https://huggingface.co/settings/tokens"
#: The environment variable huggingface_hub reads a token from (and the secret name a job reads it as).
HF_TOKEN_ENV = "HF_TOKEN"
#: Every environment variable huggingface_hub reads a token from, in its order of precedence.
HF_TOKEN_ENV_NAMES = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")
#: How a token reaches a job: a placeholder in secrets (resolved at submission, sent encrypted).
HF_JOB_SECRET_PLACEHOLDER = 'secrets={"HF_TOKEN": "$HF_TOKEN"}'
#: What to do with a Hugging Face token that was exposed.
HF_REVOKE = f"if it is a real token, revoke it at {HF_TOKEN_SETTINGS_URL}"
