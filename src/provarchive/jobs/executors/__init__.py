"""Executors run prepared jobs; the service never knows which one is in use."""

from .base import ExecutionHost, Executor, LaunchSpec, Outcome

__all__ = ["Executor", "ExecutionHost", "LaunchSpec", "Outcome"]
