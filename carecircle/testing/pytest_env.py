"""Loaded with ``-p`` (pyproject addopts) before pytest-django reads the settings,
so the suite never depends on a developer's .env: fixed throwaway keys, test mode."""

import atexit
import os
import shutil
import tempfile

os.environ["CARECIRCLE_ENV"] = "test"
os.environ["DJANGO_SECRET_KEY"] = "test-secret-key-not-for-production-0123456789abcdef"
os.environ["CARECIRCLE_DATA_KEYS"] = "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
os.environ["CARECIRCLE_BLIND_INDEX_KEY"] = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="

# Visit photos never land in the checkout's var/ folder, whichever test writes one.
_photos = tempfile.mkdtemp(prefix="carecircle-test-photos-")
atexit.register(shutil.rmtree, _photos, ignore_errors=True)
os.environ["CARECIRCLE_VISIT_PHOTO_DIR"] = _photos
os.environ["CARECIRCLE_TIP_FILE_DIR"] = os.path.join(_photos, "tips")
# A receipt's slow hash is a production cost only; tests hash it once.
os.environ.setdefault("CARECIRCLE_TIP_RECEIPT_ITERATIONS", "1")
# Proof of work stays in the tests, cheaply.
os.environ.setdefault("CARECIRCLE_TIP_POW_BITS", "4")
