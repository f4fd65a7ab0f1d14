"""Multi-row INSERTs for bulk loads (generate_people, the imports).

Built here rather than with bulk_create, whose SQL compiler costs several times what the database
spends inserting. Rows are dicts by attname; columns not given take their field's default.
"""

from django.db import connection, models


def insert_rows(model, rows: list[dict], *, with_pk: bool = False, returning: bool = False) -> list[int]:
    """INSERT `rows` into `model`'s table. `with_pk`: the rows carry their own ids (the caller
    resets the sequence); otherwise the database gives them. `returning`: the new ids in the rows'
    order (INSERT … RETURNING, as bulk_create does); otherwise an empty list."""
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    adapters = []
    for f in fields:
        if isinstance(f, models.DateTimeField):
            adapters.append(connection.ops.adapt_datetimefield_value)
        elif isinstance(f, models.DateField):
            adapters.append(connection.ops.adapt_datefield_value)
        else:
            adapters.append(None)
    defaults = {f.attname: f.get_default() for f in fields}
    values = []
    for row in rows:
        out = []
        for f, adapt in zip(fields, adapters):
            value = row.get(f.attname, defaults[f.attname])
            out.append(adapt(value) if adapt and value is not None else value)
        values.append(out)
    ids: list[int] = []
    with connection.cursor() as cursor:
        if not returning:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}", values)
            return ids
        per = max(1, (connection.features.max_query_params or 30_000) // len(fields))
        pk = quote(model._meta.pk.column)
        for start in range(0, len(values), per):
            chunk = values[start:start + per]
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))} RETURNING {pk}"
            cursor.execute(sql, [v for row in chunk for v in row])
            ids.extend(r[0] for r in cursor.fetchall())
    return ids
