"""Decode once, streaming: renditions, EBU R128 loudness and waveform peaks from one ffmpeg.

Memory stays bounded whatever the length: ffmpeg streams from the file to the encoders,
and the waveform arrives on a pipe as mono PCM that is folded into per-block peaks as it
comes (a few MB for 4 hours). The same run is the full-decode check: any message at
level error, a non-zero exit, or a decode much shorter than the headers declared rejects
the file (AudioError); a failure to run ffmpeg at all is a ToolError (transient).
"""

import math
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mediatools.errors import AudioError, ToolError
from mediatools.ffmpeg import ffmpeg_binary, input_args, popen, raise_if_could_not_start
from mediatools.probe import MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, Probe

PEAKS_COUNT = 800
_BLOCKS_PER_SECOND = 1000  # to begin with; merged pairwise beyond _MAX_BLOCKS
_MAX_BLOCKS = 16_384
_PIPE_CHUNK = 1 << 20
_ERROR_LEVELS = ("[error]", "[fatal]", "[panic]")
_LOUDNESS_RE = {
    "integrated_lufs": re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+|-inf) LUFS"),
    "range_lu": re.compile(r"Loudness range:\s+LRA:\s+(-?[\d.]+) LU"),
    "true_peak_dbtp": re.compile(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS"),
}


@dataclass(frozen=True)
class Output:
    """One encoded file: where, and the ffmpeg output options (codec, bitrate, muxer)."""

    path: Path
    options: tuple[str, ...]


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float | None
    range_lu: float | None
    true_peak_dbtp: float | None


@dataclass
class Result:
    decoded_seconds: float | None  # None unless analysed
    loudness: Loudness | None = None
    peaks: list[float] = field(default_factory=list)


def transcode(
    path: Path, info: Probe, *, outputs: list[Output], analyse: bool, timeout: float
) -> Result:
    """Decode `path` once into every output; with `analyse`, also loudness and peaks.

    `info` is the file's `media.probe.probe()`; its container is forced on ffmpeg. Output
    files are written only as a whole run: on any error they may be partial, and the
    caller discards them.
    """
    args = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-nostats", "-loglevel", "level+info"]
    args += ["-y", *input_args(path, info), "-xerror"]
    downmix = ["-ac", "2"] if info.channels > 2 else []
    for output in outputs:
        args += ["-map", "0:a:0", *downmix, "-map_metadata", "-1", *output.options]
        args.append(str(output.path))
    wave_rate = min(info.sample_rate, 48000)
    if analyse:
        # Per-frame lines at verbose stay below -loglevel info; the summary is at info.
        args += ["-map", "0:a:0", "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"]
        args += ["-map", "0:a:0", "-ac", "1", "-ar", str(wave_rate), "-c:a", "pcm_s16le"]
        args += ["-f", "s16le", "pipe:1"]
    with tempfile.TemporaryFile(prefix="streamify-ffmpeg-") as log:
        process = popen(
            args,
            timeout=timeout,
            stdout=subprocess.PIPE if analyse else subprocess.DEVNULL,
            stderr=log,
        )
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            peaks = _BlockPeaks(block=max(1, wave_rate // _BLOCKS_PER_SECOND))
            if analyse:
                for chunk in iter(lambda: process.stdout.read(_PIPE_CHUNK), b""):
                    peaks.add(chunk)
            returncode = process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()
        log.seek(0)
        errors, summary = _read_log(log)
    if timed_out.is_set():
        raise ToolError(f"ffmpeg took longer than {timeout:.0f} s.")
    raise_if_could_not_start(returncode, "\n".join(errors))
    if returncode != 0 or errors:
        first = errors[0] if errors else f"ffmpeg exit status {returncode}"
        raise AudioError(f"The audio is corrupt and cannot be decoded ({_clean(first, path)}).")
    if not analyse:
        return Result(decoded_seconds=None)
    decoded = peaks.samples / wave_rate
    _check_decoded(decoded, info)
    return Result(decoded_seconds=decoded, loudness=_loudness(summary), peaks=peaks.result())


def _check_decoded(decoded: float, info: Probe) -> None:
    if decoded < MIN_DURATION_SECONDS:
        raise AudioError(f"The audio is shorter than {MIN_DURATION_SECONDS:g} second.")
    if decoded > MAX_DURATION_SECONDS + 1:
        raise AudioError(f"The audio is longer than {MAX_DURATION_SECONDS // 3600} hours.")
    declared = info.duration
    if info.duration_exact and declared and decoded < declared - max(1.0, declared * 0.02):
        raise AudioError(
            f"The audio is truncated: {decoded:.1f} s decoded of {declared:.1f} s declared."
        )


class _BlockPeaks:
    """Fold a stream of mono s16 PCM into the peak of every `block` samples.

    Whatever the length, at most 2 x _MAX_BLOCKS peaks are held: when there are more,
    neighbours are merged and the block size doubles.
    """

    def __init__(self, *, block: int):
        self.block = block
        self.samples = 0
        self._carry = b""
        self._pending = np.zeros(0, dtype=np.int32)
        self._blocks: list[np.ndarray] = []

    def add(self, chunk: bytes) -> None:
        data = self._carry + chunk
        usable = len(data) - len(data) % 2
        self._carry = data[usable:]
        samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.int32)
        self.samples += len(samples)
        samples = np.concatenate([self._pending, np.abs(samples)])
        whole = len(samples) - len(samples) % self.block
        if whole:
            self._blocks.append(samples[:whole].reshape(-1, self.block).max(axis=1))
        self._pending = samples[whole:]
        if sum(len(b) for b in self._blocks) > 2 * _MAX_BLOCKS:
            self._halve()

    def _halve(self) -> None:
        blocks = np.concatenate(self._blocks)
        if len(blocks) % 2:  # the odd last block goes back to pending, still < new block
            self._pending = np.concatenate([np.full(self.block, blocks[-1]), self._pending])
            blocks = blocks[:-1]
        self._blocks = [blocks.reshape(-1, 2).max(axis=1)]
        self.block *= 2

    def result(self, count: int = PEAKS_COUNT) -> list[float]:
        blocks = list(self._blocks)
        if len(self._pending):
            blocks.append(np.array([self._pending.max()]))
        if not blocks:
            return []
        peaks = np.concatenate(blocks)
        count = min(count, len(peaks))
        return [
            round(min(float(part.max()) / 32768, 1.0), 3) for part in np.array_split(peaks, count)
        ]


def _read_log(log) -> tuple[list[str], str]:
    """Error lines (first few) and the ebur128 summary, reading the log line by line."""
    errors: list[str] = []
    summary: list[str] = []
    in_summary = False
    for raw in log:
        line = raw.decode("utf-8", "replace").rstrip()
        if any(level in line for level in _ERROR_LEVELS):
            if len(errors) < 5:
                errors.append(line)
            continue
        if "Summary:" in line and "ebur128" in line:
            in_summary = True
            continue
        if in_summary:
            if line.startswith("["):
                in_summary = False
            else:
                summary.append(line)
    return errors, "\n".join(summary)


def _loudness(summary: str) -> Loudness:
    values = {}
    for name, pattern in _LOUDNESS_RE.items():
        match = pattern.search(summary)
        number = float(match.group(1)) if match else None
        values[name] = None if number is None or math.isinf(number) else number
    return Loudness(**values)


def _clean(line: str, path: Path) -> str:
    # Drop "[decoder @ 0x55...] [error]" prefixes and the server-side path.
    line = re.sub(r"^(?:\[[^\]]*\]\s*)+", "", line)
    line = line.replace(f"file:{Path(path).resolve()}", "the file").replace(str(path), "the file")
    return re.sub(r"/\S+", "(path)", line)[:200]
