"""Loaded with ``-p`` (pyproject addopts) before pytest-django reads the settings,
so the suite never depends on a developer's .env: fixed throwaway keys, test mode."""

import os

os.environ["CARECIRCLE_ENV"] = "test"
os.environ["DJANGO_SECRET_KEY"] = "test-secret-key-not-for-production-0123456789abcdef"
os.environ["CARECIRCLE_DATA_KEYS"] = "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
os.environ["CARECIRCLE_BLIND_INDEX_KEY"] = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
