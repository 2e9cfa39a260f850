"""The PostgreSQL role the console runs under: it reads and writes its tables, but may only
insert into and read the event log and its checkpoints, and owns nothing, so it can neither
truncate them nor switch their triggers off. The tables' owner (the role that runs migrations)
is another. `manage.py db_roles` prints, applies and checks these grants; docs/audit.md."""

import re

from django.db import connection

APPEND_ONLY_TABLES = ("handoff_handoffevent", "handoff_auditcheckpoint")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def grants_sql(*, role: str) -> list[str]:
    """The statements that give `role` what the console needs and no more, run by the owner.
    Safe to run again after every migrate (new tables get the default grants; run it anyway)."""
    if not ROLE_NAME.match(role):
        raise ValueError("a role name is lower-case letters, digits and underscores")
    quote = connection.ops.quote_name
    database = quote(str(connection.settings_dict["NAME"]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = quote(cursor.fetchone()[0])
    logs = ", ".join(APPEND_ONLY_TABLES)
    r = quote(role)
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {r}",
        f"GRANT CONNECT ON DATABASE {database} TO {r}",
        f"GRANT USAGE ON SCHEMA {schema} TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {r}",
        f"REVOKE UPDATE, DELETE ON {logs} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {r}",
        # Tables later migrations create (as this owner) are the console's to use too.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
    ]


def role_exists(*, role: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        return cursor.fetchone() is not None


def role_problems(*, role: str) -> list[str]:
    """What would let `role` get past the event log's guards, or keep the console from working."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            return [f"no role {role!r}"]
        problems = []
        if row[0]:
            problems.append(f"{role} is a superuser: it can do anything to the log")
        for table in APPEND_ONLY_TABLES:
            cursor.execute(
                "SELECT pg_has_role(%s, c.relowner, 'MEMBER'), "
                "has_table_privilege(%s, c.oid, 'SELECT'), "
                "has_table_privilege(%s, c.oid, 'INSERT'), "
                "has_table_privilege(%s, c.oid, 'UPDATE'), "
                "has_table_privilege(%s, c.oid, 'DELETE'), "
                "has_table_privilege(%s, c.oid, 'TRUNCATE'), "
                "has_table_privilege(%s, c.oid, 'TRIGGER') "
                "FROM pg_class c WHERE c.oid = %s::regclass",
                [role] * 7 + [table],
            )
            owner, select, insert, *forbidden = cursor.fetchone()
            if owner:
                problems.append(f"{role} owns {table} (or is a member of its owner)")
            if not (select and insert):
                problems.append(f"{role} may not read and insert into {table}")
            refused = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER")
            for allowed, what in zip(forbidden, refused, strict=True):
                if allowed:
                    problems.append(f"{role} may {what} {table}")
        cursor.execute("SHOW server_version_num")
        if int(cursor.fetchone()[0]) >= 150000:  # SET on a parameter is grantable since 15
            cursor.execute(
                "SELECT has_parameter_privilege(%s, 'session_replication_role', 'SET')", [role]
            )
            if cursor.fetchone()[0]:
                problems.append(f"{role} may SET session_replication_role")
    return problems
