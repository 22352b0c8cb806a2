"""Errors of the job domain, each carrying the HTTP status UWS gives it.

::

    JobServiceError (400)
    ├── UsageError (400)            bad value: parameter, duration, date, filter
    │   └── (ParameterError is raised by definitions and mapped to 400 too)
    ├── UnknownJobError (404)       no such job (or definition)
    ├── PermissionDeniedError (403) another user's job, or creation refused (limits)
    └── PhaseError (403)            not allowed in the job's current phase
    AuthenticationRequired (401)    token mode and no (valid) credentials

The web layer maps these to DALI error documents in one place (``web/errors.py``).
"""

from __future__ import annotations

__all__ = [
    "JobServiceError",
    "UsageError",
    "UnknownJobError",
    "PermissionDeniedError",
    "AuthenticationRequired",
]


class JobServiceError(Exception):
    """Base of the job errors; ``status_code`` is the HTTP status UWS asks for."""

    status_code = 400


class UsageError(JobServiceError):
    """A value the client sent is not acceptable."""

    status_code = 400


class UnknownJobError(JobServiceError):
    """The job (or job definition, or result) does not exist."""

    status_code = 404


class PermissionDeniedError(JobServiceError):
    """The caller may not do this (not the owner, or a limit refuses it)."""

    status_code = 403


class AuthenticationRequired(JobServiceError):
    """The service needs credentials and got none or wrong ones."""

    status_code = 401
