"""The committed authorization matrix (SECURITY.md AZ-1, AZ-2, AZ-9).

``TABLE`` says, for every route of ``config/urls.py``, what each role gets. The
test ``carecircle/accounts/tests/test_authz_matrix.py`` walks the URL resolver,
fails when a route has no entry here (or an entry names a route that no longer
exists), and for every route x method x role x jurisdiction x object compares
the real response with the outcome written below. Expectations name roles
explicitly instead of deriving them from ``ROLE_SPECS``: a change to the role
table must show up here as a reviewed diff, not silently widen access.

Actors
    ``anonymous``, ``no_role`` (signed in, holding nothing: deny by default) and
    every ``Role``. Each role is tried twice: the ``personas`` user of
    jurisdiction A and the ``other_personas`` user of jurisdiction B (district-wide
    roles: 冷水滩区 431103 vs 零陵区 431102). Signed-in actors have a verified
    second factor.

Objects (``SEEN`` says which ones each actor reaches)
    - minors ``a`` (village 431103101200, school A), ``b`` (431103102200,
      school B), ``c`` (零陵区 431102001001, no school);
    - accounts ``acct_a`` (a volunteer in 431103101), ``acct_c`` (a volunteer
      in 431102001), ``unassigned`` (no role, created in 冷水滩区: that county's
      administrators may give it one, the other county's may not see it, see
      ``users_visible_to``) and ``self`` (the actor's own account);
    - organisations ``org_a`` (school A) and ``org_c`` (a school in 零陵区);
    - role assignments ``asg_a``, ``asg_c`` (those accounts' roles), ``asg_self``
      (the actor's own) and ``asg_mismatch`` (acct_a's URL with acct_c's
      assignment: an IDOR probe).

Outcomes
    Status codes as strings; a redirect is ``"302 <url name>"`` (``to(name)``).
    A page refused to an anonymous visitor is ``LOGIN``; an API call ``UNAUTH``.
    Out of scope is ``NOT_FOUND`` (never 403: no existence oracle).

The package
    ``core.py`` the vocabulary (outcomes, actors, ``SEEN``/``OBJECTS``, ``Expect``,
    ``Route``), ``table.py`` the table, ``visits.py`` the visits' rows and objects,
    ``world.py`` the URL resolver's routes and the fixture world.

How to add a route
    1. Add its URL pattern with a name, as usual.
    2. Add an entry to ``TABLE`` (``table.py``, or the app's own module merged into
       it, like ``visits.py``) under that exact name (``app:name``):
       ``Route(area, Expect(...), ...)`` with one ``Expect`` per method the view
       accepts, and for a POST-only view a GET row answering ``WRONG_METHOD``
       (``_wrong_get(objects)`` when the URL carries a pk). A method the table
       does not list must answer 405 (the view needs ``require_GET``,
       ``require_safe`` or ``require_POST``).
       - ``area``: ``PUBLIC``, ``OWN`` (the user's own things), ``CHILDREN``,
         ``ACCOUNTS``, ``AUDIT`` or ``STATS``; the separation-of-duties tests
         read it (the sysadmin never succeeds on ``CHILDREN``/``AUDIT``, the
         auditor only on ``PUBLIC``/``OWN``/``AUDIT``, the analyst only on
         those and ``STATS``).
       - ``allowed``: the roles that pass the view's gate, written out by name
         (or ``EVERYONE``); the others get ``denied`` (403 by default).
       - ``objects``: for a URL with a pk, which kind of object to put in it;
         objects outside the actor's ``SEEN`` entry get ``out_of_scope`` (404);
         ``own`` is the answer when an allowed actor targets itself (AZ-4).
       - ``kwargs``: other URL arguments (``{"action": "deactivate"}``).
       - ``data``: the POST body, a dict or ``lambda world, side: {...}`` when
         it must name the actor's own division or a fixture object;
         ``writes=True`` when the allowed outcome changes data. Every other POST
         is checked to have changed nothing.
    3. New objects or a new relation: add them to ``build_world`` (``world.py``) and
       ``SEEN`` (``core.py``).
    4. Run ``pytest carecircle/accounts/tests/test_authz_matrix.py``; a mismatch
       prints route, actor, object, expected and actual outcomes, flagged
       ``UNEXPECTED SUCCESS`` or ``DATA CHANGED`` where that applies. Never
       make the test pass by widening ``allowed`` or ``SEEN`` without checking
       ``accounts/permissions.py``: the table is the reviewed access model.

``probes`` says which sides and objects each actor is tried with: all of them
past the view's gate, the first object only where the gate (or a wrong method)
answers before any lookup.
"""

from carecircle.testing.matrix.core import (
    ACCOUNTS,
    ACTORS,
    ANONYMOUS,
    AUDIT,
    CHILDREN,
    NO_ROLE,
    NOT_FOUND,
    OBJECTS,
    OWN,
    PUBLIC,
    SEEN,
    SEES_CHILDREN,
    STATS,
    WRONG_METHOD,
    Expect,
    R,
    Route,
    expected,
    is_success,
    probes,
    to,
)
from carecircle.testing.matrix.table import TABLE
from carecircle.testing.matrix.world import World, build_world, resolver_routes

__all__ = [
    "ACCOUNTS",
    "ACTORS",
    "ANONYMOUS",
    "AUDIT",
    "CHILDREN",
    "NOT_FOUND",
    "NO_ROLE",
    "OBJECTS",
    "OWN",
    "PUBLIC",
    "SEEN",
    "SEES_CHILDREN",
    "STATS",
    "TABLE",
    "WRONG_METHOD",
    "Expect",
    "R",
    "Route",
    "World",
    "build_world",
    "expected",
    "is_success",
    "probes",
    "resolver_routes",
    "to",
]
