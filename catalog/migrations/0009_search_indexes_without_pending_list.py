"""Search's GIN indexes take every write at once, with no pending list (PostgreSQL).

By default a GIN index queues new entries in a pending list, merged into the index by
VACUUM (or once the list reaches `gin_pending_list_limit`, 4 MB); until then every search
reads the whole list. A track's document is written three times when a track is created
(the track, then each credit, through the triggers of migration 0005), so a catalogue
import of a few thousand tracks leaves tens of thousands of pending entries, and each
search then spent about 9 ms reading them (8,000 tracks, before a VACUUM). Catalogue
writes are rare and searches are a hot path: `fastupdate = off` makes each write update
the index itself, as PostgreSQL's documentation advises when steady search time matters
more than write speed. The entries already pending are merged here.
"""

from django.db import migrations

INDEXES = (
    "catalog_track_search_vector",
    "catalog_artist_search",
    "catalog_release_search",
    "catalog_playlist_search",
    "catalog_searchword_trgm",  # spelling correction
)


def _set_fastupdate(value: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for index in INDEXES:
            schema_editor.execute(f"ALTER INDEX IF EXISTS {index} SET (fastupdate = {value})")
            if value == "off":
                schema_editor.execute(
                    "SELECT gin_clean_pending_list(c.oid) FROM pg_class c"
                    " WHERE c.relname = %s AND c.relkind = 'i'",
                    [index],
                )

    return run


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_track_search_walk_index")]

    operations = [migrations.RunPython(_set_fastupdate("off"), _set_fastupdate("on"))]
