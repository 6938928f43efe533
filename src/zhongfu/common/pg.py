"""Prepared statements, for the few hot paths where PostgreSQL's parsing and planning cost more than the work
(an online gift's callback is one).

Django binds parameters on the client, so every statement reaches the server as new text and is parsed and
planned again. `prepared` binds them on the server instead and prepares the statement once per connection
(connections are kept between requests; settings allow it with prepare_threshold). It runs inside the
caller's transaction, on Django's connection, and raises Django's database errors."""

from django.db import connection


def prepared(sql: str, params: dict | list) -> list[tuple]:
    """Run one statement (psycopg placeholders, every parameter cast to its type in the SQL, since the server
    binds them) and return its rows ([] for a statement without)."""
    from psycopg import Cursor

    assert connection.vendor == "postgresql"
    # What Django's own cursor() does first: a kept connection that went bad is replaced, not used.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description is not None else []
