"""Access lookups compiled once per process; each request binds only its own values.

Building and compiling the ORM's access queries (the public rule, the grant subqueries) cost more
CPU than everything else a signed-in reader's article page or private download does. The SQL is
still the ORM's, from the same querysets: it is compiled once per shape of person (``rules.
grant_shape``) with a marker for each value a request brings (the slug or token, the person's id,
"now"), and each request puts its values where the markers were in the parameters. A marker that
does not come out as a parameter refuses to prepare, so a change to the rules that would bake one
person's value into everyone's SQL is an error, never a wrong answer (``tests/test_prepared_lookups``
holds the bound SQL to the ORM's for every shape).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators

from articles.access.policy import Person
from articles.access.rules import grant_shape

# Values no request brings, so each one found among the compiled parameters is a slot.
MARKED_TEXT = "embargo-prepared-lookup-marker"
MARKED_USER_ID = 9_007_199_254_740_881
MARKED_NOW = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
# The stand-in's name: found among the parameters, it means the SQL asks about one person by
# something other than their id, which no other person's request could re-bind.
STAND_IN_NAME = "embargo-prepared-stand-in"

# One person of each shape, standing in for everyone of that shape while the SQL is compiled.
_STAND_INS: dict[str, Callable[[], Person]] = {
    "nobody": AnonymousUser,
    "superuser": lambda: User(
        pk=MARKED_USER_ID, username=STAND_IN_NAME, is_active=True, is_superuser=True
    ),
    "reader": lambda: User(pk=MARKED_USER_ID, username=STAND_IN_NAME, is_active=True),
}

# A lookup: (person, the text looked up, now) -> the queryset whose first row is the answer.
type Build[M: Model] = Callable[[Person, str, datetime], QuerySet[M]]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # For each parameter: the name of the request's value that goes there, or None (a constant).
    slots: tuple[str | None, ...]
    constants: tuple[Any, ...]
    now_is_adapted: bool
    compiler: Any
    alias: str
    fetch_mode: Any

    def params(self, values: dict[str, Any]) -> tuple:
        return tuple(
            constant if slot is None else values[slot]
            for slot, constant in zip(self.slots, self.constants, strict=True)
        )


def _slots(params: tuple, adapted_now: Any) -> tuple[tuple[str | None, ...], bool]:
    slots: list[str | None] = []
    now_is_adapted = False
    for param in params:
        if isinstance(param, str) and param == MARKED_TEXT:
            slots.append("text")
        elif isinstance(param, int) and not isinstance(param, bool) and param == MARKED_USER_ID:
            slots.append("user_id")
        elif isinstance(param, datetime) and param == MARKED_NOW:
            slots.append("now")
        elif type(param) is type(adapted_now) and param == adapted_now:
            slots.append("now")
            now_is_adapted = True
        else:
            slots.append(None)
    return tuple(slots), now_is_adapted


@functools.cache
def _compile(build: Build[Model], shape: str) -> _Compiled:
    queryset = build(_STAND_INS[shape](), MARKED_TEXT, MARKED_NOW)
    # As ``QuerySet.first()`` asks it.
    queryset = (queryset if queryset.ordered else queryset.order_by("pk"))[:1]
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    adapted_now = compiler.connection.ops.adapt_datetimefield_value(MARKED_NOW)
    slots, now_is_adapted = _slots(tuple(params), adapted_now)
    expected = {"text", "now"} | ({"user_id"} if shape == "reader" else set())
    if set(slots) - {None} != expected:
        raise RuntimeError(
            f"{build.__qualname__}: the compiled SQL for a {shape} does not take "
            f"{sorted(expected - set(slots))} as parameters; it cannot be prepared."
        )
    if STAND_IN_NAME in params:
        raise RuntimeError(
            f"{build.__qualname__}: the compiled SQL for a {shape} names the person by username; "
            "only their id can be bound per request, so it cannot be prepared."
        )
    return _Compiled(
        sql,
        slots,
        tuple(params),
        now_is_adapted,
        compiler,
        queryset.db,
        # How the ORM's own iterator would load what is left unloaded (not in the type stubs).
        queryset._fetch_mode,  # type: ignore[attr-defined]
    )


def first[M: Model](build: Build[M], person: Person, text: str, now: datetime) -> M | None:
    """``build(person, text, now).first()``, run from SQL compiled once for ``person``'s shape."""
    compiled = _compile(build, grant_shape(person))
    connection = connections[compiled.alias]
    values = {
        "text": text,
        "user_id": person.pk,
        "now": connection.ops.adapt_datetimefield_value(now) if compiled.now_is_adapted else now,
    }
    with _cursor(connection) as cursor:
        cursor.execute(compiled.sql, compiled.params(values))
        row = cursor.fetchone()
    if row is None:
        return None
    return _instance(compiled, row)


def _cursor(connection):
    """A cursor for a prepared lookup: on PostgreSQL one that the server plans once per connection.

    Planning an access lookup (a dozen joins and subqueries) cost PostgreSQL 2-4 ms, several times
    running it, on every request: Django's cursors bind on the client and prepare nothing. This one
    binds on the server and asks psycopg to prepare the statement, which psycopg keeps per
    connection. It is wrapped as Django wraps its own, so query logging and execute wrappers see it.
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django turns psycopg's preparing off (None), which refuses even a statement asked to be
        # prepared. Only server-binding cursors prepare at all and Django's bind on the client, so
        # this lets the lookups' cursor prepare and leaves every other statement as it was.
        raw.prepare_threshold = ONLY_WHEN_ASKED
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_preparing_cursor_class()(raw))


# psycopg prepares a statement run this many times even unasked: never, in practice.
ONLY_WHEN_ASKED = 2**31 - 1


@functools.cache
def _preparing_cursor_class():
    # Imported here: the PostgreSQL backend needs psycopg, which an SQLite site may not have.
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparingCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparingCursor


def _instance(compiled: _Compiled, row) -> Any:
    """The model instance ``row`` stands for, built as the ORM's own iterator builds it."""
    compiler, db, fetch_mode = compiled.compiler, compiled.alias, compiled.fetch_mode
    (row,) = compiler.results_iter(results=[[row]])
    klass_info = compiler.klass_info
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    names = [column[0].target.attname for column in compiler.select[start:end]]
    instance = klass_info["model"].from_db(db, names, row[start:end], fetch_mode=fetch_mode)
    for populator in get_related_populators(klass_info, compiler.select, db, fetch_mode):
        populator.populate(row, instance)
    for name, position in compiler.annotation_col_map.items():
        setattr(instance, name, row[position])
    return instance
