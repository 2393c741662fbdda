"""The error doctor: a Hub exception or a job's log line -> what went wrong and how to fix it.

Covers the errors users meet with tokens (401, 403, 429, ``LocalTokenNotFoundError``,
``RepositoryNotFoundError``, ``GatedRepoError``, ``JobNotFoundError``, ``KeyError: 'HF_TOKEN'`` in a
job's logs) plus "the Hub cannot be reached". Exceptions are matched by their real huggingface_hub
class first, then by status code, then by the wording of their message (libraries such as transformers
wrap Hub errors in an ``OSError`` whose text is all that is left). A diagnosis never quotes a secret:
everything taken from the input goes through :func:`hfsecure_jupyter.detect.redact`.

Example:
    >>> d = diagnose("KeyError: 'HF_TOKEN'", secrets=["HUGGINGFACE_TOKEN"])
    >>> d.kind, d.title
    ('job-token-missing', 'HF_TOKEN is missing in the job')
    >>> "HUGGINGFACE_TOKEN" in d.cause
    True
    >>> diagnose("all good") is None
    True
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..constants import DOCS_LINKS
from ..detect import is_secret_name, redact

__all__ = ["Diagnosis", "diagnose", "LINKS"]

#: Where each fix is documented.
LINKS = DOCS_LINKS

_SECRETS_FIX = 'pass the token as a secret with the exact key HF_TOKEN: secrets={"HF_TOKEN": "$HF_TOKEN"} ' \
               "(CLI: --secrets HF_TOKEN), never in env"


@dataclass(frozen=True)
class Diagnosis:
    """What an error means for the user.

    Attributes:
        kind: a stable short code (``invalid-token``, ``forbidden``, ``rate-limited``, ``not-logged-in``,
            ``repo-not-found``, ``gated-repo``, ``job-not-found``, ``job-token-missing``,
            ``hub-unreachable``, ``hub-error``, ``oidc``).
        title: one line for a heading.
        cause: why it happened, in the user's terms.
        fix: what to do.
        link: where the fix is documented.
        status: the HTTP status code, when there was one.
    """

    kind: str
    title: str
    cause: str
    fix: str
    link: str
    status: int | None = None

    def __str__(self) -> str:
        return f"{self.title}: {self.cause}\nFix: {self.fix}\nSee: {self.link}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (what the widgets and the server send)."""
        return asdict(self)


def _clean(text: str) -> str:
    return redact(text)


def _names(value: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    # Only names are ever looked at: a mapping's values (which may be secrets) are ignored.
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(k) for k in (value.keys() if isinstance(value, Mapping) else value)]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _token_like(name: str) -> bool:
    n = _norm(name)
    return is_secret_name(name) and ("hf" in n or "hugging" in n or n in {"token", "apitoken", "accesstoken"})


# --- the table ---------------------------------------------------------------------------------------

def _job_token_missing(name: str, env: list[str], secrets: list[str], context: str) -> Diagnosis:
    title = f"{name} is missing in the job"
    link = LINKS["jobs"]
    if name != "HF_TOKEN":
        return Diagnosis(
            "job-token-missing", title,
            f"The script reads {name}, but the token is passed to jobs as HF_TOKEN (the name huggingface_hub "
            f"reads), so {name} is not set: the token was passed under another name.",
            f"Read os.environ['HF_TOKEN'] in the script (or let huggingface_hub find it), and {_SECRETS_FIX}.",
            link)
    if name in secrets:
        return Diagnosis(
            "job-token-missing", title,
            "HF_TOKEN was listed in the job's secrets but arrived empty: the $HF_TOKEN placeholder found no "
            "token where the job was submitted (not logged in there).",
            "Log in where you submit (hf auth login, or huggingface_hub.login()), check with `hf auth whoami`, "
            "then submit again.", link)
    in_env = [n for n in env if _norm(n) == _norm(name) or _token_like(n)]
    in_secrets = [n for n in secrets if _norm(n) == _norm(name) or _token_like(n)]
    if name in env or in_env:
        shown = ", ".join(in_env or [name])
        return Diagnosis(
            "job-token-missing", title,
            f"The token was passed through env ({shown}), not as the secret HF_TOKEN: env is stored and "
            "shown in plain text in every job listing, and the name does not match what the script reads.",
            f"Remove it from env, revoke that token (it was exposed) and {_SECRETS_FIX}.", link)
    if in_secrets:
        shown = ", ".join(in_secrets)
        return Diagnosis(
            "job-token-missing", title,
            f"The token was passed under another name ({shown}); the script and huggingface_hub read HF_TOKEN.",
            f"Rename the secret: {_SECRETS_FIX}.", link)
    if env or secrets or context == "job":
        return Diagnosis(
            "job-token-missing", title,
            "The job was given no token at all: HF_TOKEN is in neither its secrets nor its env.",
            f"{_SECRETS_FIX[0].upper()}{_SECRETS_FIX[1:]}.", link)
    return Diagnosis(
        "job-token-missing", title,
        "HF_TOKEN is not set where the code ran: in a job, the token was not passed, or was passed under "
        "another name or through env instead of secrets.",
        f"{_SECRETS_FIX[0].upper()}{_SECRETS_FIX[1:]}; the script should read exactly HF_TOKEN.", link)


def _not_logged_in(job: bool) -> Diagnosis:
    if job:
        return Diagnosis(
            "not-logged-in", "No Hugging Face token in the job",
            "huggingface_hub found no token inside the job: HF_TOKEN was not passed as a secret (or was passed "
            "under another name).",
            f"{_SECRETS_FIX[0].upper()}{_SECRETS_FIX[1:]}.", LINKS["jobs"])
    return Diagnosis(
        "not-logged-in", "Not logged in to Hugging Face",
        "No token was found: no HF_TOKEN environment variable, no stored login (hf auth login) and no Colab "
        "secret.",
        "Log in: run `from huggingface_hub import login; login()` (or `hf auth login` in a terminal). In Colab, "
        "add a secret named HF_TOKEN. Never paste the token into a cell.", LINKS["login"])


def _invalid_token(message: str, job: bool) -> Diagnosis:
    if "environment variable" in message and "HF_TOKEN" in message:
        cause = ("The token in the HF_TOKEN environment variable is invalid (revoked, expired or mistyped), and "
                 "HF_TOKEN takes precedence over your stored login.")
        fix = "Unset HF_TOKEN (or set it to a valid token) and log in again with `hf auth login`."
    elif "Colab" in message:
        cause = "The HF_TOKEN secret in the Google Colab vault is invalid (revoked, expired or mistyped)."
        fix = "Update the HF_TOKEN secret in Colab's Secrets panel with a new token."
    else:
        cause = "The token is missing, revoked, expired or mistyped."
        fix = "Log in again (`hf auth login --force`, or `huggingface_hub.login()`) with a current token"
        if job:
            fix += f"; in a job, {_SECRETS_FIX}."
        else:
            fix += '; in jobs, pass it with secrets={"HF_TOKEN": "$HF_TOKEN"}.'

    return Diagnosis("invalid-token", "Invalid or missing token (401 Unauthorized)", cause, fix, LINKS["login"], 401)


_JOBS_URL = re.compile(r"/api/(?:scheduled-)?jobs/(?P<ns>[\w.\-]+)")
_REPO_URL = re.compile(r"/api/(?P<type>models|datasets|spaces)/(?P<repo>[\w.\-]+/[\w.\-]+)")
_HF_URL = re.compile(r"https?://[^\s'\"]+")


def _forbidden(url: str, message: str) -> Diagnosis:
    jobs = _JOBS_URL.search(url)
    repo = _REPO_URL.search(url)
    if jobs and jobs.group("ns") != "hardware":
        ns = jobs.group("ns")
        cause = (f"The token may not run or manage jobs in '{ns}': it is a read token, or a fine-grained token "
                 f"without job.write on {ns}, or your account is not allowed to use that org's jobs.")
        fix = (f"Use a fine-grained token with job.write on {ns} (or a write token), pass it with "
               'secrets={"HF_TOKEN": "$HF_TOKEN"}, and check namespace=.')
        link = LINKS["jobs"]
    elif repo:
        rid = repo.group("repo")
        cause = (f"The token's role is too weak for this on {rid}: a read token cannot push, and a fine-grained "
                 f"token needs repo.write on {rid} (or on its owner).")
        fix = (f"Use a fine-grained token with repo.write on just {rid} (least privilege) rather than a broad "
               "write token, or add that scope to your token.")
        link = LINKS["tokens"]
    else:
        cause = ("The token's role is too weak (a read token used to write) or a fine-grained token lacks the "
                 "scope for this repo or org.")
        fix = "Use a write token, or add the needed scope (repo.write, job.write) for that repo or org."
        link = LINKS["tokens"]
    return Diagnosis("forbidden", "Permission denied (403 Forbidden)", cause, fix, link, 403)


_RETRY = re.compile(r"Retry after (\d+) seconds?|Retry-After:\s*(\d+)", re.IGNORECASE)


def _rate_limited(message: str, retry_after: str | None = None) -> Diagnosis:
    m = _RETRY.search(message)
    wait = retry_after or (m and (m.group(1) or m.group(2)))
    when = f"Wait {wait} s, then retry" if wait else "Wait a minute, then retry"
    cause = "Too many requests: the Hub rate-limits calls (whoami-v2 strictly, for security)."
    if "whoami" in message:
        cause = "Too many whoami-v2 calls: that endpoint is strictly rate-limited for security."
    fix = (f"{when}. Cache who you are (whoami(cache=True)) and pass namespace= to Jobs calls, which otherwise "
           "call whoami every time.")
    return Diagnosis("rate-limited", "Rate limited (429 Too Many Requests)", cause, fix, LINKS["rate-limits"], 429)


def _repo_not_found(repo_id: str | None, repo_type: str | None, status: int | None) -> Diagnosis:
    what = f"'{repo_id}'" if repo_id else "the repository"
    kind = f" ({repo_type})" if repo_type else ""
    return Diagnosis(
        "repo-not-found", "Repository not found or not accessible",
        f"The Hub does not show {what}{kind} to this token: it is private to another account, the id or "
        "repo_type is wrong, or no token was sent (private repos look missing without one).",
        "Check the repo id and repo_type (model, dataset, space). If it is private, log in with an account that "
        "has access (a read token, or a fine-grained token with repo.content.read on it).", LINKS["repos"], status)


def _gated(repo_id: str | None, status: int | None) -> Diagnosis:
    where = f"https://huggingface.co/{repo_id}" if repo_id else "the repository page"
    return Diagnosis(
        "gated-repo", "Gated repository: access not granted",
        f"{repo_id or 'This repository'} is gated and this account has not been granted access (conditions not "
        "accepted, or still pending), or the token may not read gated repos.",
        f"Open {where} while logged in, accept the conditions and wait for approval; then use a token of that "
        "account (a fine-grained token needs 'read access to public gated repos' or repo.content.read on it).",
        LINKS["gated"], status)


def _job_not_found(job_id: str | None, status: int | None) -> Diagnosis:
    what = f"job {job_id}" if job_id else "that job"
    return Diagnosis(
        "job-not-found", "Job not found",
        f"There is no {what} in that namespace: the id is wrong, or the job belongs to another namespace "
        "(an org) than the one asked.",
        "List your jobs with `hf jobs ps` (or list_jobs(namespace=...)) and pass the job's namespace.",
        LINKS["jobs"], status)


def _unreachable(detail: str) -> Diagnosis:
    return Diagnosis(
        "hub-unreachable", "Hugging Face Hub unreachable",
        f"The Hub did not answer ({detail}): no network, a proxy or firewall, a wrong HF_ENDPOINT, or offline "
        "mode (HF_HUB_OFFLINE).",
        "Check the connection and HF_ENDPOINT, then retry; nothing was lost.", LINKS["status"])


def _hub_error(status: int) -> Diagnosis:
    return Diagnosis(
        "hub-error", f"Hub server error ({status})",
        "The Hub had a problem on its side; your token is not the cause.",
        "Retry in a moment; check the Hub status page if it persists.", LINKS["status"], status)


# --- matching ----------------------------------------------------------------------------------------

_KEYERROR = re.compile(r"KeyError:\s*['\"](?P<name>[A-Za-z_][A-Za-z0-9_]*)['\"]")
_ENVIRON_GET = re.compile(r"environ\[\s*['\"](?P<name>[A-Za-z_][A-Za-z0-9_]*)['\"]\s*\]")
_GATED_TEXT = re.compile(r"GatedRepoError|Cannot access gated repo|gated repo|not in the authorized list", re.I)
_GATED_REPO = re.compile(r"(?:Access to (?:model|dataset|space) |huggingface\.co/(?:api/(?:models|datasets|spaces)/)?)"
                         r"(?P<repo>[\w.\-]+/[\w.\-]+)")
_REPO_TEXT = re.compile(r"RepositoryNotFoundError|Repository Not Found", re.I)
_JOB_TEXT = re.compile(r"JobNotFoundError|Job Not Found", re.I)
_JOB_ID = re.compile(r"/jobs/[\w.\-]+/(?P<id>[\w\-]+)")
_TOKEN_NOT_FOUND = re.compile(r"LocalTokenNotFoundError|Token is required .* but no token found|"
                              r"no token found|not logged in", re.I)
_STATUS_TEXT = re.compile(r"\b(?P<code>401|403|429|5\d\d)\s+(?:Client|Server) Error|\b(?P<code2>401|403|429)\s+"
                          r"(?:Unauthorized|Forbidden|Too Many Requests)|Invalid user token|"
                          r"Invalid credentials in Authorization header")
_UNREACHABLE_TEXT = re.compile(r"ConnectError|ConnectTimeout|ReadTimeout|Connection refused|Max retries exceeded|"
                               r"Name or service not known|Temporary failure in name resolution|"
                               r"OfflineModeIsEnabled|Network is unreachable", re.I)


def _repo_from(text: str, exc: BaseException | None = None) -> tuple[str | None, str | None]:
    rid = getattr(exc, "repo_id", None) if exc is not None else None
    rtype = getattr(exc, "repo_type", None) if exc is not None else None
    if not rid:
        m = _REPO_URL.search(text) or _GATED_REPO.search(text)
        if m:
            rid = m.group("repo").rstrip(".")
            if rtype is None and "type" in m.groupdict() and m.group("type"):
                rtype = m.group("type")[:-1]
    return rid, rtype


def _diagnose_text(text: str, env: list[str], secrets: list[str], context: str,
                   status_hint: int | None = None, url: str = "") -> Diagnosis | None:
    job = context == "job" or bool(env or secrets)
    m = _KEYERROR.search(text)
    if m and (_token_like(m.group("name")) or m.group("name") == "HF_TOKEN"):
        return _job_token_missing(m.group("name"), env, secrets, context)
    m = _ENVIRON_GET.search(text)
    if m and "KeyError" in text and _token_like(m.group("name")):
        return _job_token_missing(m.group("name"), env, secrets, context)
    if _GATED_TEXT.search(text):
        return _gated(_repo_from(text)[0], status_hint)
    if _JOB_TEXT.search(text):
        jm = _JOB_ID.search(text)
        return _job_not_found(jm.group("id") if jm else None, status_hint or 404)
    if _REPO_TEXT.search(text):
        rid, rtype = _repo_from(text)
        return _repo_not_found(rid, rtype, status_hint)
    if _TOKEN_NOT_FOUND.search(text):
        return _not_logged_in(job)
    m = _STATUS_TEXT.search(text)
    code = status_hint
    if m:
        code = int(m.group("code") or m.group("code2") or 401)
    if code == 401:
        return _invalid_token(text, job)
    if code == 403:
        return _forbidden(url or text, text)
    if code == 429:
        return _rate_limited(text)
    if code is not None and code >= 500:
        return _hub_error(code)
    m2 = _UNREACHABLE_TEXT.search(text)
    if m2:
        return _unreachable(m2.group(0))
    return None


def _diagnose_exception(exc: BaseException, env: list[str], secrets: list[str], context: str) -> Diagnosis | None:
    from huggingface_hub import errors as hf_errors

    text = str(exc)
    job = context == "job" or bool(env or secrets)
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str):
        name = exc.args[0]
        if _token_like(name) or name == "HF_TOKEN":
            return _job_token_missing(name, env, secrets, context)
    status = None
    response = getattr(exc, "response", None)
    url = ""
    if response is not None:
        status = getattr(response, "status_code", None)
        try:
            url = str(response.url)
        except Exception:  # a response without a request has no url
            url = ""
    if isinstance(exc, hf_errors.GatedRepoError):
        return _gated(_repo_from(text + " " + url, exc)[0], status)
    if isinstance(exc, hf_errors.JobNotFoundError):
        return _job_not_found(getattr(exc, "job_id", None), status)
    if isinstance(exc, hf_errors.RepositoryNotFoundError):
        rid, rtype = _repo_from(url + " " + text, exc)
        return _repo_not_found(rid, rtype, status)
    if isinstance(exc, hf_errors.LocalTokenNotFoundError):
        return _not_logged_in(job)
    if isinstance(exc, hf_errors.OIDCError):
        return Diagnosis(
            "oidc", "OIDC token exchange failed",
            "HF_OIDC_RESOURCE is set, so huggingface_hub asked your CI for a short-lived token, and that failed.",
            "Run in a supported CI with id-token permission, set HF_OIDC_ID_TOKEN, or unset HF_OIDC_RESOURCE.",
            LINKS["oidc"])
    if isinstance(exc, hf_errors.OfflineModeIsEnabled):
        return _unreachable("HF_HUB_OFFLINE is set")
    if isinstance(exc, hf_errors.HfHubHTTPError) and status is not None:
        if status == 401:
            return _invalid_token(text, job)
        if status == 403:
            return _forbidden(url, text)
        if status == 429:
            retry = response.headers.get("Retry-After") if response is not None else None
            return _rate_limited(text, retry)
        if status >= 500:
            return _hub_error(status)
        return _diagnose_text(text, env, secrets, context, status, url)
    if _is_connection_error(exc):
        return _unreachable(type(exc).__name__)
    found = _diagnose_text(text, env, secrets, context)
    if found is not None:
        return found
    # Libraries re-raise Hub errors as their own (transformers: OSError "... gated repo ..."); follow the chain.
    inner = exc.__cause__ or exc.__context__
    if inner is not None and inner is not exc:
        return _diagnose_exception(inner, env, secrets, context)
    return None


def _is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    for mod_name, names in (("httpx2", ("TransportError",)), ("httpx", ("TransportError",)),
                            ("requests", ("ConnectionError", "Timeout"))):
        mod = sys.modules.get(mod_name)
        if mod is None:
            continue
        for n in names:
            cls = getattr(mod, n, None)
            if isinstance(cls, type) and isinstance(exc, cls):
                return True
    return False


def diagnose(exc_or_log_line: BaseException | str, *, env: Mapping[str, Any] | Iterable[str] | None = None,
             secrets: Mapping[str, Any] | Iterable[str] | None = None, context: str = "") -> Diagnosis | None:
    """Explain a Hub error or a job log line, or return None when it is not one we know.

    Args:
        exc_or_log_line: an exception (huggingface_hub's, or a wrapper whose cause is one) or text (a log
            line, several lines, or a traceback).
        env: the job's environment variable names (a mapping's values are never read).
        secrets: the job's secret names (a mapping's values are never read).
        context: ``"job"`` when the text comes from a job's logs, else ``""``.

    Example:
        >>> d = diagnose("KeyError: 'HF_TOKEN'", env={"HF_TOKEN_VALUE": "..."})
        >>> d.cause.startswith("The token was passed through env")
        True
        >>> diagnose("huggingface_hub.errors.LocalTokenNotFoundError: Token is required").kind
        'not-logged-in'
        >>> print(diagnose("429 Client Error: Too Many Requests for url: ...").title)
        Rate limited (429 Too Many Requests)
    """
    env_names = _names(env)
    secret_names = _names(secrets)
    try:
        if isinstance(exc_or_log_line, BaseException):
            d = _diagnose_exception(exc_or_log_line, env_names, secret_names, context)
        elif isinstance(exc_or_log_line, str):
            d = _diagnose_text(exc_or_log_line, env_names, secret_names, context)
        else:
            return None
    except RecursionError:  # pathological exception chains: say nothing rather than crash the caller
        return None
    if d is None:
        return None
    # Parts of the diagnosis were copied from the input (repo ids, env names): never let a secret through.
    return Diagnosis(d.kind, _clean(d.title), _clean(d.cause), _clean(d.fix), d.link, d.status)
