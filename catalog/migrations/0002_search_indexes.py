"""GIN indexes for full-text search on PostgreSQL; other databases search without them."""

from django.db import migrations

INDEXES = {
    "catalog_track_search": ("catalog_track", "title"),
    "catalog_artist_search": ("catalog_artist", "name"),
    "catalog_release_search": ("catalog_release", "title"),
    "catalog_playlist_search": ("catalog_playlist", "name"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (to_tsvector('simple'::regconfig, COALESCE({column}, '')))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
