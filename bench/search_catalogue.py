"""A generated catalogue for search at scale (PostgreSQL), written with set-based SQL.

`generate(cursor, tracks)` fills an empty, migrated database in seconds per 100k tracks:
one artist and one album per ten tracks, titles of a common word (one of 13, each in ~1/13
of titles) and a made-up word (each in ~tracks/160,000 titles, so rare), "singularity" in
one title in 997, 20 availability profiles over 7 markets (SE open to 15 of them, 4 more
only from next year), and one track in 50 licensed nowhere. The triggers of migration 0005
are bypassed for speed: the search documents and the word list are written directly.
"""

COMMON = ("love", "night", "heart", "dance", "dream", "fire", "light", "baby", "time",
          "world", "sky", "rain", "blue")  # fmt: skip
SYLLABLES = ("ka", "lo", "mi", "su", "ra", "te", "no", "vi", "da", "pe", "zo", "ju", "be",
             "fa", "gu", "hi", "ko", "le", "mu", "ni")  # fmt: skip
MARKETS = ("SE", "US", "GB", "DE", "FR", "JP", "BR")
PROFILES = 20


def made_up(number: int) -> str:
    """The made-up word of `number`, as the SQL below writes it."""
    return "".join(SYLLABLES[(number // 20**k) % 20] for k in range(4))


def _made_up_sql(expression: str) -> str:
    syllables = "ARRAY[" + ",".join(f"'{s}'" for s in SYLLABLES) + "]"
    return " || ".join(f"({syllables})[1 + (({expression}) / {20**k}) % 20]" for k in range(4))


def _common_sql(expression: str) -> str:
    words = "ARRAY[" + ",".join(f"'{w}'" for w in COMMON) + "]"
    return f"({words})[1 + (hashint4({expression}) & 65535) % {len(COMMON)}]"


def generate(cursor, tracks: int) -> None:
    """Fill the catalogue tables with `tracks` tracks (ids 1..tracks) and analyse them."""
    groups = max(tracks // 10, 1)
    title = (
        f"CASE WHEN i % 997 = 0 THEN 'singularity ' ELSE '' END || {_common_sql('i')}"
        f" || ' ' || {_made_up_sql('i % 160000')}"
    )
    artist = f"{_made_up_sql('(g::bigint * 7919) % 160000')} || ' band'"
    album = (
        f"{_common_sql('g + 1000000')} || ' ' || {_made_up_sql('(g::bigint * 104729) % 160000')}"
    )
    statements = [
        f"""INSERT INTO catalog_artist (id, name, sort_name, bio, image, popularity, created_at)
        SELECT g, {artist}, '', '', '', 50, now() FROM generate_series(1, {groups}) g""",
        f"""INSERT INTO catalog_release (id, title, release_type, release_date, cover, upc,
            copyright, popularity, created_at)
        SELECT g, {album}, 'album', date '2020-01-01', '', '', '', 50, now()
        FROM generate_series(1, {groups}) g""",
        f"""INSERT INTO catalog_releaseartist (release_id, artist_id, position)
        SELECT g, g, 0 FROM generate_series(1, {groups}) g""",
        "ALTER TABLE catalog_track DISABLE TRIGGER catalog_track_search",
        "ALTER TABLE catalog_trackartist DISABLE TRIGGER catalog_trackartist_search",
        f"""INSERT INTO catalog_track (id, title, release_id, disc_number, track_number,
            duration_ms, explicit, popularity, source_file, created_at, search_vector)
        SELECT i, title, g, 1, 1 + i % 10, 180000, false, (hashint4(i + 7) & 32767) % 101, '',
            now(),
            array_to_tsvector(catalog_search_lexemes('a', title)
                || catalog_search_lexemes('b', artist) || catalog_search_lexemes('c', album))
        FROM (SELECT i, (i - 1) / 10 + 1 AS g FROM generate_series(1, {tracks}) i) n,
            LATERAL (SELECT {title} AS title, {artist} AS artist, {album} AS album) t""",
        f"""INSERT INTO catalog_trackartist (track_id, artist_id, role, position)
        SELECT i, (i - 1) / 10 + 1, 'primary', 0 FROM generate_series(1, {tracks}) i""",
        "ALTER TABLE catalog_track ENABLE TRIGGER catalog_track_search",
        "ALTER TABLE catalog_trackartist ENABLE TRIGGER catalog_trackartist_search",
        """INSERT INTO catalog_searchword (word)
        SELECT DISTINCT substr(lexeme, 2)
        FROM catalog_track, unnest(tsvector_to_array(search_vector)) lexeme
        WHERE length(lexeme) >= 4 ON CONFLICT DO NOTHING""",
        f"""INSERT INTO catalog_availabilityprofile (id, digest)
        SELECT k, md5('profile' || k) || md5('search' || k)
        FROM generate_series(1, {PROFILES}) k""",
        f"""INSERT INTO catalog_availabilityprofilewindow (profile_id, market, starts_at)
        SELECT k, (ARRAY[{",".join(f"'{m}'" for m in MARKETS)}])[m],
            CASE WHEN m = 1 AND k > 15 THEN now() + interval '1 year'
                 ELSE now() - interval '1 year' END
        FROM generate_series(1, {PROFILES}) k, generate_series(1, {len(MARKETS)}) m
        WHERE m = 1 OR (k + m) % 4 <> 0""",
        f"""INSERT INTO catalog_trackavailabilityprofile (track_id, profile_id)
        SELECT i, 1 + (hashint4(i + 3) & 65535) % {PROFILES}
        FROM generate_series(1, {tracks}) i WHERE i % 50 <> 0""",
    ]
    for statement in statements:
        cursor.execute(statement)
    for table in (
        "artist",
        "release",
        "releaseartist",
        "track",
        "trackartist",
        "availabilityprofile",
        "availabilityprofilewindow",
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('catalog_{table}', 'id'),"
            f" (SELECT max(id) FROM catalog_{table}))"
        )
    for table in (
        "catalog_artist",
        "catalog_release",
        "catalog_track",
        "catalog_trackartist",
        "catalog_searchword",
        "catalog_availabilityprofilewindow",
        "catalog_trackavailabilityprofile",
    ):
        cursor.execute(f"ANALYZE {table}")
