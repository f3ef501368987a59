"""Shared fixtures for the whole suite; the environment is set by carecircle.testing.pytest_env."""

from carecircle.testing.browser import *  # noqa: F403  (browser_page, flushable_audit_log)
from carecircle.testing.fixtures import *  # noqa: F403
