#!/usr/bin/env python3
"""Write a development ``.env`` with fresh random keys, unless one exists.

    python3 scripts/make_env.py               # writes .env at the repository root (mode 0600)
    python3 scripts/make_env.py --path FILE   # writes FILE instead
    python3 scripts/make_env.py --throwaway   # prints throwaway KEY=VALUE secrets, writes nothing

An existing ``.env`` is never overwritten: its keys encrypt the data already in
the development database, and new keys would make that data unreadable.
``--throwaway`` is for commands that need the settings to load but touch no
data (``make deploy-check``, ``make migrations-check``): it prints one
``KEY=VALUE`` per line, for ``env $(python3 scripts/make_env.py --throwaway) ...``.

Standard library only: it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _key32() -> str:
    """Base64 of 32 random bytes: an AES-256 / HMAC-SHA256 key."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_values() -> dict[str, str]:
    return {
        # 64 URL-safe characters: Django's deploy check wants 50+ and 5+ distinct.
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        # "key_id:base64(32 bytes)"; the first key encrypts, all of them decrypt.
        "CARECIRCLE_DATA_KEYS": f"k1:{_key32()}",
        "CARECIRCLE_BLIND_INDEX_KEY": _key32(),
    }


def dotenv_text() -> str:
    values = secret_values()
    return (
        "# CareCircle 关爱圈 development settings, written by scripts/make_env.py.\n"
        "# Keep this file: its keys encrypt the data in var/carecircle.sqlite3.\n"
        "# Losing or changing them makes that data unreadable. Never commit it.\n"
        "# All variables: .env.example. Real environment variables win over this file.\n"
        "CARECIRCLE_ENV=development\n"
        "DJANGO_DEBUG=1\n"
        f"DJANGO_SECRET_KEY={values['DJANGO_SECRET_KEY']}\n"
        f"CARECIRCLE_DATA_KEYS={values['CARECIRCLE_DATA_KEYS']}\n"
        f"CARECIRCLE_BLIND_INDEX_KEY={values['CARECIRCLE_BLIND_INDEX_KEY']}\n"
    )


def write_env(path: Path) -> bool:
    """Create ``path`` with mode 0600; return False, untouched, if it exists."""
    try:
        # O_EXCL: never overwrite, even if another process creates it meanwhile.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(dotenv_text())
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)  # in case the umask took bits away from 0600 (never adds any)
    return True


def say(line: str) -> None:
    sys.stdout.write(line + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a development .env with fresh random keys.")
    parser.add_argument("--path", type=Path, default=REPO_ROOT / ".env", help="file to write")
    parser.add_argument(
        "--throwaway",
        action="store_true",
        help="print throwaway secrets as KEY=VALUE lines and write nothing",
    )
    args = parser.parse_args(argv)

    if args.throwaway:
        for key, value in secret_values().items():
            say(f"{key}={value}")
        return 0

    path: Path = args.path
    if write_env(path):
        say(f"Wrote {path} (mode 0600) with new random development keys.")
        say("Keep it: its keys encrypt the development database. It is not committed.")
    else:
        mode = path.stat().st_mode & 0o777
        say(f"{path} already exists: left untouched (its keys protect existing data).")
        if mode & 0o077:
            say(f"Warning: {path} is readable by others (mode {mode:04o}); run: chmod 600 {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
