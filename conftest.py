"""Test settings and named personas: one per role, in two jurisdictions.

Jurisdiction A is 花桥街镇 (431103101) of 冷水滩区 and its village 431103101200;
jurisdiction B is 普利桥镇 (431103102) with village 431103102200. District-wide
roles in A are scoped to 冷水滩区 (431103); their "other" twins to 零陵区 (431102),
so every role has an in-scope and an out-of-scope child to be tested against.
"""

from __future__ import annotations

import os

# Fixed throwaway keys: tests must never depend on a developer's .env.
os.environ["CARECIRCLE_ENV"] = "test"
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault(
    "CARECIRCLE_DATA_KEYS", "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
)
os.environ.setdefault("CARECIRCLE_BLIND_INDEX_KEY", "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")

from carecircle.testing.fixtures import *  # noqa: E402, F403
