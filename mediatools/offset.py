"""Send an audio file from a time offset: ffmpeg copies its packets from there to a pipe.

Nothing is decoded or re-encoded (`-c copy`), so it costs little CPU whatever the length,
and the output is the same codec in the same container, muxed for a pipe (fragmented MP4,
since a pipe cannot be rewound to write an index). The input format is forced and only
`file:` may be opened, as for every ffmpeg run here. Memory stays bounded: the bytes are
read in chunks as the client takes them, and the pipe holds ffmpeg back.
"""

import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from mediatools.errors import ToolError
from mediatools.ffmpeg import ffmpeg_binary, file_input_args, popen, raise_if_could_not_start

CHUNK_BYTES = 64 * 1024
# The options that make each output muxer write to a pipe (no seeking back).
_FRAGMENTED = ("-movflags", "+empty_moov+default_base_moof+frag_keyframe")
_PIPE_OPTIONS = {"ipod": (*_FRAGMENTED, "-frag_duration", "1000000")}


class PipedAudio:
    """ffmpeg's output as an iterable of byte chunks; `close()` stops ffmpeg.

    Django closes a streaming response's iterable when the response ends, including when
    the client goes away, so ffmpeg never outlives the request.
    """

    def __init__(self, process: subprocess.Popen, log, first: bytes):
        self._process = process
        self._log = log
        self._first = first

    def __iter__(self) -> Iterator[bytes]:
        if self._first:
            first, self._first = self._first, b""
            yield first
        yield from iter(lambda: self._process.stdout.read1(CHUNK_BYTES), b"")

    def close(self) -> None:
        _stop(self._process, self._log)


def _stop(process: subprocess.Popen, log) -> None:
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdout.close()
    log.close()


def copy_from(
    path: Path, *, demuxer: str, muxer: str, offset_seconds: float, timeout: float
) -> PipedAudio:
    """Start ffmpeg sending `path` (container `demuxer`) from `offset_seconds` on, as
    `muxer`; return once its first bytes are read, so a failure to start or to read the
    file raises here (ToolError), before any byte is sent. `timeout`: CPU seconds allowed.

    The caller must `close()` the result (a streaming response does).
    """
    args = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error"]
    args += ["-ss", f"{offset_seconds:.3f}", *file_input_args(path, demuxer)]
    args += ["-map", "0:a:0", "-c", "copy", *_PIPE_OPTIONS.get(muxer, ()), "-f", muxer, "pipe:1"]
    # Closed with the process (`_stop`), which outlives this function.
    log = tempfile.TemporaryFile(prefix="streamify-ffmpeg-")  # noqa: SIM115
    try:
        process = popen(args, timeout=timeout, stdout=subprocess.PIPE, stderr=log)
    except ToolError:
        log.close()
        raise
    try:
        first = process.stdout.read1(CHUNK_BYTES)
        if not first:
            returncode = process.wait()
            log.seek(0)
            message = log.read(2000).decode("utf-8", "replace")
            raise_if_could_not_start(returncode, message)
            raise ToolError(f"ffmpeg sent nothing (status {returncode}).")
    except BaseException:
        _stop(process, log)
        raise
    return PipedAudio(process, log, first)
