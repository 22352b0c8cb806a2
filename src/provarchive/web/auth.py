"""Who is calling: anonymous mode for a personal install, or per-user tokens.

Tokens are random (32 bytes, URL-safe) and only their SHA-256 is stored, so a copy of
the database gives nobody access. A client sends ``Authorization: Bearer <token>`` or
HTTP Basic ``<name>:<token>`` (what OPUS clients and curl ``-u`` send). Ownership is
checked in exactly one place, :func:`owned_job`, which every job sub-resource uses.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from fastapi import Request

from ..jobs.errors import AuthenticationRequired, UnknownJobError
from ..jobs.models import Job, User, utc_ms

if TYPE_CHECKING:  # pragma: no cover
    from ..jobs.service import JobService

__all__ = ["hash_token", "new_token", "add_user", "Authenticator", "owned_job", "current_user"]


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def add_user(service: JobService, name: str, *, admin: bool = False) -> str:
    """Create (or re-key) user ``name`` and return their new token; only the hash is kept."""
    if not name or len(name) > 128 or any(c in name for c in ":/\n\r\t ") or not name.isprintable():
        raise ValueError(f"user name {name!r} must be 1–128 printable characters without ':', '/' or spaces")
    token = new_token()
    service.store.create_schema()
    service.store.add_user(name, hash_token(token), admin, utc_ms())
    return token


class Authenticator:
    """Resolves the caller of a request according to the service's ``auth`` mode."""

    def __init__(self, service: JobService, mode: str) -> None:
        if mode not in ("anonymous", "token"):
            raise ValueError(f"auth must be 'anonymous' or 'token', not {mode!r}")
        self.service = service
        self.mode = mode

    @property
    def anonymous(self) -> bool:
        return self.mode == "anonymous"

    def caller(self, authorization: str | None) -> User | None:
        """The user, None in anonymous mode; AuthenticationRequired when a token is needed."""
        if self.anonymous:
            return None
        if not authorization:
            raise AuthenticationRequired("this service needs a token: send 'Authorization: Bearer <token>'")
        scheme, _, credentials = authorization.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "bearer":
            user = self.service.store.user_by_token_hash(hash_token(credentials))
        elif scheme.lower() == "basic":
            user = self._basic(credentials)
        else:
            raise AuthenticationRequired(f"unsupported authorization scheme {scheme!r}; use Bearer or Basic")
        if user is None:
            raise AuthenticationRequired("unknown or revoked token")
        return user

    def _basic(self, credentials: str) -> User | None:
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationRequired("malformed HTTP Basic credentials") from None
        name, _, token = decoded.partition(":")
        found = self.service.store.user_by_name(name)
        if found is None or not hmac.compare_digest(found[1], hash_token(token)):
            return None
        return found[0]


async def current_user(request: Request) -> User | None:
    """FastAPI dependency: the caller of this request (no thread hop in anonymous mode)."""
    from starlette.concurrency import run_in_threadpool

    authenticator: Authenticator = request.app.state.authenticator
    if authenticator.anonymous:
        return None
    return await run_in_threadpool(authenticator.caller, request.headers.get("authorization"))


def owned_job(request: Request, jobdef: str, job_id: str) -> Job:
    """FastAPI dependency: the job, if it belongs to ``jobdef`` and the caller may see it.

    The one owner check: owners see their own jobs, admins see all, and in anonymous
    mode (a personal install) every job is the caller's.
    """
    authenticator: Authenticator = request.app.state.authenticator
    caller = authenticator.caller(request.headers.get("authorization"))
    job = authenticator.service.get_job(job_id, caller, anonymous_mode=authenticator.anonymous)
    if job.jobdef_name != jobdef:
        raise UnknownJobError(f"no job {job_id!r} in the job list of {jobdef!r}")
    request.state.caller = caller
    return job
