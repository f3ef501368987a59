"""Re-encrypt every encrypted value under the active key and cipher.

Run after putting a new key first in CARECIRCLE_DATA_KEYS (keep the old ones
until this finishes), or after switching CARECIRCLE_CIPHER. Blind indexes are
recomputed too, so a new CARECIRCLE_BLIND_INDEX_KEY takes effect the same way.
Each batch commits on its own: an interrupted run can simply be started again.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from carecircle.crypto.fields import blind_index_fields, encrypted_fields


class Command(BaseCommand):
    help = "Re-encrypt all encrypted fields with the active key; recompute blind indexes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            names = [f.name for f in fields] + [f.name for f in blind_index_fields(model)]
            count = 0
            last_pk: Any = None
            manager = model._base_manager
            while True:
                qs = manager.order_by("pk")
                if last_pk is not None:
                    qs = qs.filter(pk__gt=last_pk)
                batch = list(qs[:batch_size])
                if not batch:
                    break
                for obj in batch:
                    for index in blind_index_fields(model):
                        index.pre_save(obj, add=False)
                with transaction.atomic():
                    manager.bulk_update(batch, names)
                count += len(batch)
                last_pk = batch[-1].pk
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
        self.stdout.write(self.style.SUCCESS(f"Done: {total} rows re-encrypted."))
