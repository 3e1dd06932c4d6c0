"""Audio files by content: which container a file is, what it holds, and ffmpeg runs over it.

Model-free and below every app (ARCHITECTURE.md): `catalog` (import) and `playback`
(uploads, transcoding) use the same rules. Only real audio containers are accepted (MP3,
Ogg Vorbis/Opus, FLAC, MP4/M4A with AAC or ALAC, raw ADTS AAC, WAV), recognised by their
bytes, never by name; ffmpeg is then told that container (`-f`) and may open nothing but
the file itself (`-protocol_whitelist file`), so playlists (HLS, ffconcat) and network
inputs can never be followed.

ARCHITECTURE.md's "media" layer; named apart from MEDIA_ROOT's default `media/` folder.
"""
