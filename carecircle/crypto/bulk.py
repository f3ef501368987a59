"""Insert many model instances quickly, each value stored exactly as ``save()`` stores it.

``QuerySet.bulk_create`` spends most of its time in the SQL compiler, which
prepares every value of every row through several generic layers, and on SQLite
it sends at most 999 parameters per statement. The registry's import and the
demo loader insert up to 100,000 children with three guardians each, and there
that compiler is most of the cost (the roster benchmark, bench/registry.py).

``bulk_insert`` keeps what matters from bulk_create and drops the rest:

- each field's ``pre_save`` runs where it does something (``auto_now`` stamps,
  the blind index of the ID number), the other fields are read as set;
- values that need preparing (encrypted text, dates, JSON) go through the field's
  own ``get_db_prep_save``, so that ciphertexts are those ``save()`` would write;
  plain strings, numbers and booleans of plain columns are sent as they are;
- on SQLite, rows go in multi-row INSERTs … RETURNING the primary key, as large as
  the database's own variable limit allows; on PostgreSQL the keys are drawn from
  the sequence first and each row goes in one prepared INSERT, all of them in one
  pipeline (``_insert_with_drawn_keys``); each instance gets its primary key.

No signals are sent and no model ``save()`` runs, as with bulk_create: callers
are services that audit their own writes.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone

from carecircle.crypto.fields import EncryptedTextField
from carecircle.db.statements import prepared_cursor

_TEXT = (models.CharField, models.TextField)
_NUMBER = (models.IntegerField, models.BooleanField, models.ForeignKey)


def _preparer(field: models.Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    """A function from the instance's attribute to the database value."""

    def prep(value: Any) -> Any:
        return field.get_db_prep_save(value, connection)

    if isinstance(field, EncryptedTextField):
        return prep  # a fresh nonce every time: never memoised
    # Dates and the like repeat (birth dates, the statement's timestamp): each distinct
    # value is prepared once.
    # Keyed by type too: True == 1, but a JSON true is not a 1.
    memo: dict[tuple[type, Any], Any] = {}

    def memoised(value: Any) -> Any:
        key = (type(value), value)
        try:
            return memo[key]
        except KeyError:
            memo[key] = prep(value)
            return memo[key]
        except TypeError:  # unhashable (JSON)
            return prep(value)

    return memoised


def plain_types(field: models.Field[Any, Any]) -> tuple[type, ...] | None:
    """The Python types a plain column's value is stored as, unchanged; None when the
    field has to prepare every value."""
    if isinstance(field, EncryptedTextField):
        return None
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(target, _TEXT):
        return (str,)
    if isinstance(target, _NUMBER):
        return (int,)
    return None


def _stamp(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, models.DateField) and bool(field.auto_now or field.auto_now_add)


def _needs_pre_save(field: models.Field[Any, Any]) -> bool:
    return not isinstance(field, models.DateField) and (
        type(field).pre_save is not models.Field.pre_save
    )


def variable_limit(using: str = DEFAULT_DB_ALIAS) -> int:
    """How many bound parameters one statement may carry on this database."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        # 32766 since SQLite 3.32, 999 before: ask the library, not Django's constant.
        connection.ensure_connection()
        return int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    if connection.vendor == "postgresql":
        return 65535  # the wire protocol counts parameters in 16 bits
    return int(connection.features.max_query_params or 2000)


def rows_per_statement(columns: int, using: str = DEFAULT_DB_ALIAS) -> int:
    """How many rows of ``columns`` parameters one statement takes (at most 2,000)."""
    return max(1, min(variable_limit(using) // columns, 2000))


def bulk_insert(objs: Sequence[models.Model], *, using: str | None = None) -> None:
    """Insert ``objs`` (new instances of one model) and set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    alias = using or router.db_for_write(model)
    connection = connections[alias]
    pk = opts.pk
    if not isinstance(pk, AutoFieldMixin) or any(obj.pk is not None for obj in objs):
        raise TypeError("bulk_insert takes new instances of a model with an automatic key")
    returning_sql = getattr(connection.ops, "return_insert_columns", None)
    if returning_sql is None or not connection.features.can_return_rows_from_bulk_insert:
        # Neither SQLite nor PostgreSQL: Django's own way, slower but everywhere.
        model._default_manager.using(alias).bulk_create(objs)
        return
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    get_values = operator.attrgetter(*(f.attname for f in fields))
    # One time for every row's auto_now / auto_now_add stamp: they are one statement.
    now = timezone.now()
    stamps = [
        (i, f.attname, now if isinstance(f, models.DateTimeField) else timezone.localdate(now))
        for i, f in enumerate(fields)
        if _stamp(f)
    ]
    pre_saved = [(i, f) for i, f in enumerate(fields) if _needs_pre_save(f)]
    relations = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.ForeignKey)]
    plain = [
        (i, types, _preparer(f, connection))
        for i, f in enumerate(fields)
        if (types := plain_types(f))
    ]
    prepared = [(i, _preparer(f, connection)) for i, f in enumerate(fields) if not plain_types(f)]
    rows: list[list[Any]] = []
    for obj in objs:
        if type(obj) is not model:
            raise TypeError("bulk_insert takes instances of one model")
        row = list(get_values(obj)) if len(fields) > 1 else [get_values(obj)]
        for i, field in relations:
            # A related object saved after it was assigned: take its key, as save() does.
            if row[i] is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"bulk_insert: unsaved related object '{field.name}'")
                    row[i] = related.pk
                    setattr(obj, field.attname, related.pk)
        for i, attname, stamp in stamps:
            setattr(obj, attname, stamp)
            row[i] = stamp
        for i, computed in pre_saved:
            row[i] = computed.pre_save(obj, True)
        rows.append(row)
    for i, types, prep in plain:
        for row in rows:
            value = row[i]
            if value is not None and not isinstance(value, types):
                row[i] = prep(value)
    for i, prep in prepared:
        for row in rows:
            row[i] = prep(row[i])
    if connection.vendor == "postgresql":
        _insert_with_drawn_keys(connection, opts, fields, rows, objs, alias)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    per_row = "({})".format(", ".join(["%s"] * len(fields)))
    returning, _params = returning_sql([pk])
    batch = rows_per_statement(len(fields), alias)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            part = rows[start : start + batch]
            # Identifiers come from the model; every value is a bound parameter.
            sql = "INSERT INTO {} ({}) VALUES {} {}".format(  # noqa: S608
                quote(opts.db_table), columns, ", ".join([per_row] * len(part)), returning
            )
            cursor.execute(sql, [value for row in part for value in row])
            ids = [row[0] for row in cursor.fetchall()]
            if len(ids) != len(part):
                raise RuntimeError("the database returned fewer keys than rows inserted")
            for obj, key in zip(objs[start : start + len(part)], ids, strict=True):
                setattr(obj, pk.attname, key)
                mark_saved(obj, alias)


def mark_saved(obj: models.Model, using: str) -> None:
    """Mark ``obj`` as a row of ``using``, as ``save()`` does, for the writers that
    bypass it (here, ``carecircle.crypto.prepared``, the audit append)."""
    obj._state.adding = False
    obj._state.db = using


def _insert_with_drawn_keys(
    connection: Any,
    opts: Any,
    fields: list[models.Field[Any, Any]],
    rows: list[list[Any]],
    objs: Sequence[models.Model],
    alias: str,
) -> None:
    """PostgreSQL: the keys drawn from the table's sequence in one statement, then
    one prepared single-row INSERT sent for every row in a pipeline (``executemany``).

    A multi-row INSERT of 2,000 rows carries tens of thousands of placeholders, and
    psycopg finds them by scanning the SQL text anew for each statement (it keeps
    only short statements' conversions). In the roster benchmark (bench/registry.py,
    20,000 children with their guardians) that scan was 10.9 s of the import's
    24.7 s. A single-row statement is converted once and prepared once."""
    quote = connection.ops.quote_name
    pk = opts.pk
    columns = ", ".join(quote(str(f.column)) for f in [pk, *fields])
    placeholders = ", ".join(["%s"] * (len(fields) + 1))
    # Identifiers come from the model; every value is a bound parameter.
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with prepared_cursor(connection) as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, pk.column, len(rows)],
        )
        keys = sorted(row[0] for row in cursor.fetchall())
        cursor.executemany(sql, [[key, *row] for key, row in zip(keys, rows, strict=True)])
    for obj, key in zip(objs, keys, strict=True):
        setattr(obj, pk.attname, key)
        mark_saved(obj, alias)


M = TypeVar("M", bound=models.Model)


class InstanceMaker(Generic[M]):
    """Makes new, unsaved instances of ``model`` from keyword values, as ``model(**values)``
    would, several times faster: ``Model.__init__`` with keywords looks up every field's
    default for every instance, while its positional form (the one ``from_db`` uses)
    only assigns. Constant defaults are taken once; callable defaults run per instance.
    Keywords that are not columns (a related object by its field name) are assigned
    after construction, through their descriptors.
    """

    def __init__(self, model: type[M]) -> None:
        self.model = model
        fields = list(model._meta.concrete_fields)
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.related = {f.name for f in fields if f.is_relation}
        self.defaults: list[Any] = []
        self.callables: list[tuple[int, Callable[[], Any]]] = []
        for i, f in enumerate(fields):
            if f.primary_key:
                self.defaults.append(None)
            elif f.has_default() and callable(f.default):
                self.defaults.append(None)
                self.callables.append((i, f.default))
            else:
                self.defaults.append(f.get_default())

    def __call__(self, **values: Any) -> M:
        args = self.defaults.copy()
        for i, default in self.callables:
            args[i] = default()
        later: dict[str, Any] = {}
        for name, value in values.items():
            position = self.index.get(name)
            if position is None:
                if name not in self.related:
                    raise TypeError(f"{self.model.__name__} has no field {name!r}")
                later[name] = value
            else:
                args[position] = value
        obj = self.model(*args)
        for name, value in later.items():
            setattr(obj, name, value)
        return obj
