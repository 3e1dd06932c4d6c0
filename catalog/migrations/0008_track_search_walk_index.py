"""Search walks the popularity order on the index alone (PostgreSQL).

`catalog_track_search_rank` (popularity DESC, id) now carries each track's `search_vector`
too, so a walk down the most popular tracks tests the document on the index entry (an
index-only scan: a few pages per thousand tracks) instead of fetching each track's row.
A B-tree entry holds at most about 2.7 kB, so a document keeps its performers' names up to
1,000 characters (a title and an album title are 300 at most: a track credited to more
performers than that is still found by the first of them), and its words in that order
(title, performers, album) up to 2,000 bytes (only a title or names in a script of several
bytes a letter could come near).
"""

from django.db import migrations

PERFORMER_ROLES = "('primary', 'featured', 'remixer')"
MAX_PERFORMERS_LENGTH = 1000
MAX_DOCUMENT_BYTES = 2000


def _document(performers: str, *, capped: bool) -> str:
    lexemes = f"""
                catalog_search_lexemes('a', title)
                || catalog_search_lexemes('b', {performers})
                || catalog_search_lexemes('c', (
                    SELECT r.title FROM catalog_release r WHERE r.id = release))"""
    if capped:
        # The words in order (title, performers, album) while they fit in 2,000 bytes.
        lexemes = f"""ARRAY(
            SELECT lexeme FROM (
                SELECT lexeme, n, sum(octet_length(lexeme) + 4) OVER (ORDER BY n) AS size
                FROM unnest({lexemes}) WITH ORDINALITY AS u(lexeme, n)) s
            WHERE size <= {MAX_DOCUMENT_BYTES} ORDER BY n)"""
    return f"""
    CREATE OR REPLACE FUNCTION catalog_track_document(track bigint, title text, release bigint)
    RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT array_to_tsvector({lexemes})
    $$
    """


PERFORMERS = f"""(
                SELECT string_agg(a.name, ' ' ORDER BY ta.position, ta.id)
                FROM catalog_trackartist ta JOIN catalog_artist a ON a.id = ta.artist_id
                WHERE ta.track_id = track AND ta.role IN {PERFORMER_ROLES})"""

FORWARD = [
    _document(f"left({PERFORMERS}, {MAX_PERFORMERS_LENGTH})", capped=True),
    # Only documents near or over the new limits change.
    f"""
    UPDATE catalog_track t
    SET search_vector = catalog_track_document(t.id, t.title, t.release_id)
    WHERE octet_length(t.search_vector::text) > {MAX_DOCUMENT_BYTES * 3 // 4} OR (
        SELECT sum(length(a.name) + 1)
        FROM catalog_trackartist ta JOIN catalog_artist a ON a.id = ta.artist_id
        WHERE ta.track_id = t.id AND ta.role IN {PERFORMER_ROLES}) > {MAX_PERFORMERS_LENGTH}
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
    _document(PERFORMERS, capped=False),
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
