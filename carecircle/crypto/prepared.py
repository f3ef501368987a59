"""Statements the hot paths send many times a second, turned into SQL once.

A pupil's submit or start is a handful of one-row statements. Through the ORM each
costs 0.3–0.5 ms of Python on the project's 2-core machines (compiling the query,
cloning querysets, building instances) against 0.02–0.05 ms for the database to
run it; PERFORMANCE.md G4 and G5 leave room for neither. These helpers keep the
ORM as the language the statements are written in and drop the per-call cost:

- ``Prepared`` compiles a queryset once per database connection, with placeholder
  values where the caller's values go, and then only binds new values, runs the
  SQL and applies the same converters the ORM would (dates, decrypted fields);
- ``update_row`` is ``save(update_fields=...)`` of one row with its UPDATE built
  once per model and field list.

They send their statements through a Django cursor, so transactions, query
logging and ``execute_wrapper`` see them as any other; on PostgreSQL one whose
statements the server keeps prepared (``carecircle.db.statements``). In a
``written_together`` block (``carecircle.db.pipeline``) a write whose answer
nobody reads waits for the block's end, to go with the others. They send no
signals; the models they are used with have none and no ``save()`` of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from weakref import WeakKeyDictionary

from django.core.exceptions import ObjectDoesNotExist
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import QuerySet

from carecircle.crypto.bulk import mark_saved, plain_types
from carecircle.db.pipeline import deferred, in_pipeline, sent
from carecircle.db.statements import prepared_cursor

# Placeholder values: what a caller's value looks like while the queryset is
# compiled, found again among the compiled parameters to know where values go.
# Inside every 32-bit column's range and positive: Django refuses at compile time
# a comparison with a value its column cannot hold.
_SENTINEL_INT = 2_147_000_000
_SENTINEL_TEXT = "\x00prepared:"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, the caller's name)
    compiler: Any
    converters: dict[int, Any]


class Prepared:
    """A read compiled once per connection: ``build`` returns the queryset for
    keyword values, ``params`` names them with their type (``int`` or ``str``).

    ``build`` must use each value only in plain comparisons (``field=value``,
    ``field__in=[value]``), so that the value reaches the SQL unchanged; and it
    should return a ``values_list``, whose rows are what ``rows`` returns.
    """

    def __init__(
        self, build: Callable[..., QuerySet[Any]], *, using: str = DEFAULT_DB_ALIAS, **params: type
    ) -> None:
        bad = {name: kind for name, kind in params.items() if kind not in (int, str)}
        if bad:
            raise TypeError(f"Prepared takes int or str parameters, not {bad}")
        self.build = build
        self.using = using
        self.params = params
        self._compiled: WeakKeyDictionary[Any, _Compiled] = WeakKeyDictionary()

    def _sentinels(self) -> dict[str, Any]:
        counter = itertools.count()
        return {
            name: (_SENTINEL_INT + next(counter) if kind is int else _SENTINEL_TEXT + name)
            for name, kind in self.params.items()
        }

    def _compile(self, connection: Any) -> _Compiled:
        sentinels = self._sentinels()
        queryset = self.build(**sentinels)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        names = {value: name for name, value in sentinels.items()}
        slots = tuple(
            (i, names[value])
            for i, value in enumerate(params)
            if isinstance(value, int | str) and value in names
        )
        missing = set(self.params) - {name for _i, name in slots}
        if missing:
            raise ValueError(f"Prepared: the query does not use {sorted(missing)} as given")
        columns = [selected[0] for selected in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(columns)
        return _Compiled(sql, tuple(params), slots, compiler, converters)

    def rows(self, **values: Any) -> list[Any]:
        """The rows for these values, converted as the ORM converts them."""
        return self.send(**values)()

    def send(self, **values: Any) -> Callable[[], list[Any]]:
        """Send the read now, read its rows (as ``rows`` returns them) by calling the
        function returned: in a pipeline (``carecircle.db.pipeline``) the read goes
        out with the next statement whose answer is read. Elsewhere it is ``rows``."""
        connection = connections[self.using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            # Compiled inside the caller's transaction: a FOR UPDATE query must be.
            compiled = self._compiled[connection] = self._compile(connection)
        params = list(compiled.params)
        for position, name in compiled.slots:
            value = values[name]
            if not isinstance(value, self.params[name]) or isinstance(value, bool):
                raise TypeError(f"Prepared: {name} must be {self.params[name].__name__}")
            params[position] = value
        found = sent(connection, compiled.sql, params)
        if not compiled.converters:
            return found
        return lambda: [
            tuple(row) for row in compiled.compiler.apply_converters(found(), compiled.converters)
        ]


def attnames(model: type[models.Model]) -> list[str]:
    """The model's columns by attribute name, in ``from_db`` order."""
    return [field.attname for field in model._meta.concrete_fields]


def instance(model: type[models.Model], row: Sequence[Any], using: str = DEFAULT_DB_ALIAS) -> Any:
    """A model instance from a row of ``attnames(model)``, as a query would load it."""
    return model.from_db(using, attnames(model), list(row))


Preparer = Callable[[models.Model, Any], Any]


def _preparer(field: models.Field[Any, Any], *, add: bool) -> Preparer:
    """A function (instance, connection) → the value ``save()`` would send for ``field``:
    ``pre_save`` where the field has one (dates' ``auto_now``, blind indexes), and the
    plain values ``bulk_insert`` sends unprepared passed as they are."""
    attname = field.attname
    if type(field).pre_save is not models.Field.pre_save:

        def computed(obj: models.Model, connection: Any) -> Any:
            return field.get_db_prep_save(field.pre_save(obj, add), connection)

        return computed
    plain = plain_types(field)
    if plain is not None:

        def passed(obj: models.Model, connection: Any) -> Any:
            value = getattr(obj, attname)
            if value is None or isinstance(value, plain):
                return value
            return field.get_db_prep_save(value, connection)

        return passed

    def prepared(obj: models.Model, connection: Any) -> Any:
        return field.get_db_prep_save(getattr(obj, attname), connection)

    return prepared


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


_UPDATES: dict[tuple[type[models.Model], tuple[str, ...], str], tuple[str, list[Preparer]]] = {}


def update_row(obj: models.Model, fields: Sequence[str], using: str = DEFAULT_DB_ALIAS) -> None:
    """``obj.save(update_fields=fields)`` for a row known to exist: ``auto_now`` stamps
    and every value prepared as ``save()`` prepares them, one UPDATE by primary key."""
    model = type(obj)
    connection = connections[using]
    key = (model, tuple(fields), connection.vendor)
    built = _UPDATES.get(key)
    if built is None:
        opts = model._meta
        chosen = [_concrete(model, name) for name in fields]
        quote = connection.ops.quote_name
        # Identifiers come from the model; every value is a bound parameter.
        sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608
            quote(opts.db_table),
            ", ".join(f"{quote(str(field.column))} = %s" for field in chosen),
            quote(str(opts.pk.column)),
        )
        built = _UPDATES[key] = (sql, [_preparer(field, add=False) for field in chosen])
    sql, preparers = built
    params = [*(prepare(obj, connection) for prepare in preparers), obj.pk]
    if deferred(connection, sql, params):
        return
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        # In a pipeline the count comes with the answer, later: the caller has locked
        # the row it updates.
        if cursor.rowcount != 1 and not in_pipeline(connection):
            raise ObjectDoesNotExist(f"update_row: no {model.__name__} {obj.pk}")


# How insert_row's row gets its key: the database assigns it and it is read back
# ("assigned"); the caller drew it from the key's sequence and set ``obj.pk``
# ("given"); the database assigns it and nobody reads it ("unread": in a pipeline,
# reading it back would wait for the answer).
KeyMode = Literal["assigned", "given", "unread"]

_INSERTS: dict[tuple[type[models.Model], str, KeyMode], tuple[str, list[Preparer], bool]] = {}


def _insert_sql(
    model: type[models.Model], connection: Any, key: KeyMode
) -> tuple[str, list[Preparer], bool]:
    opts = model._meta
    fields = [field for field in opts.concrete_fields if key == "given" or not field.primary_key]
    quote = connection.ops.quote_name
    returning = key == "assigned" and connection.features.can_return_columns_from_insert
    # Identifiers come from the model; every value is a bound parameter.
    sql = "INSERT INTO {} ({}) VALUES ({}){}".format(  # noqa: S608
        quote(opts.db_table),
        ", ".join(quote(str(field.column)) for field in fields),
        ", ".join(["%s"] * len(fields)),
        f" RETURNING {quote(str(opts.pk.column))}" if returning else "",
    )
    return sql, [_preparer(field, add=True) for field in fields], returning


def insert_row(
    obj: models.Model, using: str = DEFAULT_DB_ALIAS, *, key: KeyMode = "assigned"
) -> None:
    """``obj.save()`` of a new instance: ``pre_save`` of every field (``auto_now``
    stamps, blind indexes), each value prepared as ``save()`` prepares it, one
    INSERT built once per model. ``key`` says where the key comes from (``KeyMode``);
    ``obj.pk`` is set except when it is "unread"."""
    model = type(obj)
    opts = model._meta
    connection = connections[using]
    cache_key = (model, connection.vendor, key)
    built = _INSERTS.get(cache_key)
    if built is None:
        built = _INSERTS[cache_key] = _insert_sql(model, connection, key)
    sql, preparers, returning = built
    if key == "given" and obj.pk is None:
        raise ValueError(f"insert_row: {model.__name__} has no key given")
    if key != "given" and obj.pk is not None:
        raise ValueError(f"insert_row: {model.__name__} {obj.pk} has a key already")
    params = [prepare(obj, connection) for prepare in preparers]
    if key != "assigned" and deferred(connection, sql, params):
        mark_saved(obj, using)
        return
    with prepared_cursor(connection) as cursor:
        cursor.execute(sql, params)
        if returning:
            obj.pk = cursor.fetchone()[0]
        elif key == "assigned":
            obj.pk = connection.ops.last_insert_id(cursor, opts.db_table, str(opts.pk.column))
    mark_saved(obj, using)
