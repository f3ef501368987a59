"""The project's settings for a benchmark's server process: the bench views routed
(``bench/urls.py``) and the submit throttle off, since one address sends every request.
"""

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"screening_submit": None}}
