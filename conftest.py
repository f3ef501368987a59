"""Shared fixtures for the whole suite; the environment is set by carecircle.testing.pytest_env."""

from carecircle.testing.fixtures import *  # noqa: F403
