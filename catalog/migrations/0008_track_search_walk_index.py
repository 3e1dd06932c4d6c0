"""Search walks the popularity order on the index alone (PostgreSQL).

`catalog_track_search_rank` (popularity DESC, id) now carries each track's `search_vector`
too, so a walk down the most popular tracks tests the document on the index entry (an
index-only scan: a few pages per thousand tracks) instead of fetching each track's row.
A B-tree entry holds at most about 2.7 kB, so the performers' names in a document are cut
at 1,000 characters (a title and an album title are 300 at most): a track credited to more
performers than that is still found by the first of them.
"""

from django.db import migrations

PERFORMER_ROLES = "('primary', 'featured', 'remixer')"


def _document(performers: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION catalog_track_document(track bigint, title text, release bigint)
    RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT array_to_tsvector(
            catalog_search_lexemes('a', title)
            || catalog_search_lexemes('b', {performers})
            || catalog_search_lexemes('c', (
                SELECT r.title FROM catalog_release r WHERE r.id = release)))
    $$
    """


PERFORMERS = f"""(
                SELECT string_agg(a.name, ' ' ORDER BY ta.position, ta.id)
                FROM catalog_trackartist ta JOIN catalog_artist a ON a.id = ta.artist_id
                WHERE ta.track_id = track AND ta.role IN {PERFORMER_ROLES})"""

FORWARD = [
    _document(f"left({PERFORMERS}, 1000)"),
    # Only documents over the new limit change.
    f"""
    UPDATE catalog_track t
    SET search_vector = catalog_track_document(t.id, t.title, t.release_id)
    WHERE (
        SELECT sum(length(a.name) + 1)
        FROM catalog_trackartist ta JOIN catalog_artist a ON a.id = ta.artist_id
        WHERE ta.track_id = t.id AND ta.role IN {PERFORMER_ROLES}) > 1000
    """,
    "DROP INDEX IF EXISTS catalog_track_search_rank",
    """
    CREATE INDEX catalog_track_search_rank ON catalog_track (popularity DESC, id)
    INCLUDE (search_vector)
    """,
]

BACKWARD = [
    "DROP INDEX IF EXISTS catalog_track_search_rank",
    "CREATE INDEX catalog_track_search_rank ON catalog_track (popularity DESC, id)",
    _document(PERFORMERS),
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0007_track_lyrics")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
