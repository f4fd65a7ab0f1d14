from django.db import DatabaseError, connection


def database_is_up() -> bool:
    """For the health check: can the database answer a trivial query?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False
