"""An app writes only its own tables (ARCHITECTURE.md): a static scan of every domain app."""

from pathlib import Path

import pytest

from tests.architecture.write_scan import scan_app, scan_source

ROOT = Path(__file__).resolve().parents[2]
APPS = {"accounts", "catalog", "playback", "licensing", "editorial", "recommendations", "artists"}


@pytest.mark.parametrize("app", sorted(APPS))
def test_app_writes_only_its_own_tables(app):
    violations = scan_app(ROOT, app, APPS)
    assert not violations, "\n".join(map(str, violations))


@pytest.mark.parametrize(
    "source",
    [
        "from catalog.models import Playlist\nPlaylist.objects.create(name='x')",
        "from catalog.models import Playlist\nPlaylist.objects.filter(pk=1).update(name='x')",
        "from catalog.models import Playlist\nPlaylist.objects.filter(pk=1).delete()",
        "from catalog.models import PlaylistItem as I\nX.objects.bulk_create([I(position=1)])",
        "from catalog.models import Track\nTrack(title='x').save()",
        "from catalog.models import Track\nsql = f'UPDATE {Track._meta.db_table} SET x = 1'",
        "cursor.execute('DELETE FROM catalog_track WHERE id = %s', [1])",
        "from accounts.models import User\nUser.objects.create_user(email='a@b.c')",
    ],
)
def test_scan_catches_each_kind_of_foreign_write(source):
    assert scan_source(source, path="editorial/x.py", app="editorial", apps=APPS)


@pytest.mark.parametrize(
    "source",
    [
        "from catalog.models import Playlist\nPlaylist.objects.filter(pk=1).first()",
        "from editorial.models import Pitch\nPitch.objects.create(note='x')",
        "from catalog import services\nservices.playlist_items_replace(playlist_id=1)",
        "cursor.execute('UPDATE editorial_pitch SET x = 1')",
    ],
)
def test_scan_lets_reads_and_own_writes_pass(source):
    assert not scan_source(source, path="editorial/x.py", app="editorial", apps=APPS)
