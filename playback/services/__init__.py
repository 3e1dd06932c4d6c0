"""Writes of the playback app, split by subdomain.

Submodules: sources (uploaded originals), transcoding (jobs and renditions), streaming
(stream URLs and grants), plays (play event ingestion), counts (daily aggregates and
popularity), now_playing, reports (playback reports become plays). This package
re-exports their public names, so callers keep writing `from playback import services`
and `services.play_events_ingest(...)`; a test that patches a module global patches it
in the submodule that reads it.
"""

from .counts import (
    POPULARITY_DAYS,
    stream_counts_build,
    stream_counts_build_day,
    stream_counts_rebuild,
    stream_counts_refresh_recent,
    track_popularity_refresh,
)
from .now_playing import NOW_PLAYING_MAX_PLAYERS, now_playing_clear, now_playing_set
from .plays import (
    COUNTED_VERDICTS,
    MAX_EVENTS_PER_BATCH,
    IngestResult,
    play_events_bulk_load,
    play_events_ingest,
)
from .reports import PLAYBACK_RATE_MAX, listened_ms_between, playback_report
from .sources import (
    SourceCheck,
    source_check,
    source_check_path,
    track_source_replace,
    upload_max_bytes,
)
from .streaming import (
    StreamUrl,
    rendition_stream_from,
    stream_grant_check,
    stream_grant_record,
    stream_url_issue,
)
from .transcoding import (
    TranscodeInterrupted,
    rendition_path,
    transcode_job_retry,
    transcode_job_run,
    transcode_jobs_create_missing,
    transcode_jobs_requeue_stale,
    transcode_jobs_sweep,
)

__all__ = [
    "COUNTED_VERDICTS",
    "MAX_EVENTS_PER_BATCH",
    "NOW_PLAYING_MAX_PLAYERS",
    "PLAYBACK_RATE_MAX",
    "POPULARITY_DAYS",
    "IngestResult",
    "SourceCheck",
    "StreamUrl",
    "TranscodeInterrupted",
    "listened_ms_between",
    "now_playing_clear",
    "now_playing_set",
    "play_events_bulk_load",
    "play_events_ingest",
    "playback_report",
    "rendition_path",
    "rendition_stream_from",
    "source_check",
    "source_check_path",
    "stream_counts_build",
    "stream_counts_build_day",
    "stream_counts_rebuild",
    "stream_counts_refresh_recent",
    "stream_grant_check",
    "stream_grant_record",
    "stream_url_issue",
    "track_popularity_refresh",
    "track_source_replace",
    "transcode_job_retry",
    "transcode_job_run",
    "transcode_jobs_create_missing",
    "transcode_jobs_requeue_stale",
    "transcode_jobs_sweep",
    "upload_max_bytes",
]
