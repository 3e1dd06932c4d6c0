"""A stored search document per track, and a word list for spelling correction (PostgreSQL).

`catalog_track.search_vector` holds the words ('simple' configuration) of the track's title,
its performers' names and its album's title, each marked by its field as a first letter
('a', 'b', 'c': "Love" in a title is `alove`), so the GIN index alone tells which field a
word matches, with no recheck of the row. Triggers keep it current when a
track, a credit, an artist's name or an album's title changes, so no service writes it.
`catalog_searchword` holds every word of those documents (3 letters or more) with a trigram
index: a misspelt word is replaced by its closest known word. `catalog_track_search_rank`
orders tracks by popularity, the order search walks within a field tier.

Other databases (SQLite, the embedded default) search titles by substring, without these.
"""

from django.db import migrations

PERFORMER_ROLES = "('primary', 'featured', 'remixer')"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE catalog_track ADD COLUMN IF NOT EXISTS search_vector tsvector",
    'CREATE TABLE IF NOT EXISTS catalog_searchword (word text COLLATE "C" PRIMARY KEY)',
    """
    CREATE OR REPLACE FUNCTION catalog_search_lexemes(field text, words text)
    RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
        SELECT ARRAY(
            SELECT field || lexeme
            FROM unnest(tsvector_to_array(to_tsvector('simple'::regconfig, COALESCE(words, ''))))
                AS lexeme)
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION catalog_track_document(track bigint, title text, release bigint)
    RETURNS tsvector LANGUAGE sql STABLE AS $$
        SELECT array_to_tsvector(
            catalog_search_lexemes('a', title)
            || catalog_search_lexemes('b', (
                SELECT string_agg(a.name, ' ' ORDER BY ta.position, ta.id)
                FROM catalog_trackartist ta JOIN catalog_artist a ON a.id = ta.artist_id
                WHERE ta.track_id = track AND ta.role IN {PERFORMER_ROLES}))
            || catalog_search_lexemes('c', (
                SELECT r.title FROM catalog_release r WHERE r.id = release)))
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_searchword_add(document tsvector) RETURNS void
    LANGUAGE sql AS $$
        INSERT INTO catalog_searchword (word)
        SELECT DISTINCT substr(lexeme, 2) FROM unnest(tsvector_to_array(document)) AS lexeme
        WHERE length(lexeme) >= 4
        ON CONFLICT DO NOTHING
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_track_search_refresh(tracks bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE catalog_track t
        SET search_vector = catalog_track_document(t.id, t.title, t.release_id)
        WHERE t.id = ANY(tracks);
        PERFORM catalog_searchword_add(t.search_vector)
        FROM catalog_track t WHERE t.id = ANY(tracks);
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_track_search_document() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := catalog_track_document(NEW.id, NEW.title, NEW.release_id);
        PERFORM catalog_searchword_add(NEW.search_vector);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_trackartist_search() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM catalog_track_search_refresh(ARRAY[NEW.track_id]);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM catalog_track_search_refresh(ARRAY[OLD.track_id]);
        ELSE
            PERFORM catalog_track_search_refresh(ARRAY[OLD.track_id, NEW.track_id]);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION catalog_artist_search() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM catalog_track_search_refresh(ARRAY(
            SELECT track_id FROM catalog_trackartist
            WHERE artist_id = NEW.id AND role IN {PERFORMER_ROLES}));
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION catalog_release_search() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM catalog_track_search_refresh(ARRAY(
            SELECT id FROM catalog_track WHERE release_id = NEW.id));
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS catalog_track_search ON catalog_track",
    """
    CREATE TRIGGER catalog_track_search BEFORE INSERT OR UPDATE OF title, release_id
    ON catalog_track FOR EACH ROW EXECUTE FUNCTION catalog_track_search_document()
    """,
    "DROP TRIGGER IF EXISTS catalog_trackartist_search ON catalog_trackartist",
    """
    CREATE TRIGGER catalog_trackartist_search AFTER INSERT OR UPDATE OR DELETE
    ON catalog_trackartist FOR EACH ROW EXECUTE FUNCTION catalog_trackartist_search()
    """,
    "DROP TRIGGER IF EXISTS catalog_artist_search ON catalog_artist",
    """
    CREATE TRIGGER catalog_artist_search AFTER UPDATE OF name ON catalog_artist
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
    EXECUTE FUNCTION catalog_artist_search()
    """,
    "DROP TRIGGER IF EXISTS catalog_release_search ON catalog_release",
    """
    CREATE TRIGGER catalog_release_search AFTER UPDATE OF title ON catalog_release
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION catalog_release_search()
    """,
    # Existing rows, set-based.
    """
    UPDATE catalog_track t
    SET search_vector = catalog_track_document(t.id, t.title, t.release_id)
    """,
    """
    INSERT INTO catalog_searchword (word)
    SELECT DISTINCT substr(lexeme, 2)
    FROM catalog_track, unnest(tsvector_to_array(search_vector)) AS lexeme
    WHERE length(lexeme) >= 4
    ON CONFLICT DO NOTHING
    """,
    """
    CREATE INDEX IF NOT EXISTS catalog_track_search_vector ON catalog_track
    USING gin (search_vector)
    """,
    # The title-only expression index of 0002 no longer serves track search.
    "DROP INDEX IF EXISTS catalog_track_search",
    """
    CREATE INDEX IF NOT EXISTS catalog_track_search_rank ON catalog_track
    (popularity DESC, id)
    """,
    """
    CREATE INDEX IF NOT EXISTS catalog_searchword_trgm ON catalog_searchword
    USING gin (word gin_trgm_ops)
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_track_search ON catalog_track",
    "DROP TRIGGER IF EXISTS catalog_trackartist_search ON catalog_trackartist",
    "DROP TRIGGER IF EXISTS catalog_artist_search ON catalog_artist",
    "DROP TRIGGER IF EXISTS catalog_release_search ON catalog_release",
    "DROP FUNCTION IF EXISTS catalog_track_search_document()",
    "DROP FUNCTION IF EXISTS catalog_trackartist_search()",
    "DROP FUNCTION IF EXISTS catalog_artist_search()",
    "DROP FUNCTION IF EXISTS catalog_release_search()",
    "DROP FUNCTION IF EXISTS catalog_track_search_refresh(bigint[])",
    "DROP FUNCTION IF EXISTS catalog_searchword_add(tsvector)",
    "DROP FUNCTION IF EXISTS catalog_track_document(bigint, text, bigint)",
    "DROP FUNCTION IF EXISTS catalog_search_lexemes(text, text)",
    "DROP INDEX IF EXISTS catalog_track_search_rank",
    "DROP INDEX IF EXISTS catalog_track_search_vector",
    "DROP TABLE IF EXISTS catalog_searchword",
    """
    CREATE INDEX IF NOT EXISTS catalog_track_search ON catalog_track
    USING gin (to_tsvector('simple'::regconfig, COALESCE(title, '')))
    """,
    "ALTER TABLE catalog_track DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_ratings")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
