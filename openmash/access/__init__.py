"""Who may see and do what (DESIGN.md §2).

Access is derived from role, agency and involvement — never from knowing a URL. Anything a user may
not see is reported as NotFound (404), indistinguishable from a record that does not exist. Forbidden
(403) is used only where the user can already see the record but may not perform an action on it.

* predicates: `can_*(user, obj)` — pure checks, no queries beyond the object's own relations;
* scoped querysets: `*_visible_to(user)` — the only starting point for lists;
* `access_*(user=…, …)` — the only way to fetch one sensitive object by its key.
"""
