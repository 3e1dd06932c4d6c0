"""Audio tools over ffmpeg: locate binaries, probe, validate by decoding, analyse, encode.

Works with Debian's ffmpeg/ffprobe or with only the `imageio-ffmpeg` wheel's ffmpeg (which
ships no ffprobe): probing then parses `ffmpeg -i` and durations come from decoding.
"""

import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

# Codecs accepted as originals (ffmpeg codec names); PCM variants are matched by prefix.
ACCEPTED_CODECS = frozenset(
    {"mp3", "mp2", "flac", "alac", "aac", "vorbis", "opus", "wavpack", "ape", "tta"}
)
MAX_CHANNELS = 8
MIN_DURATION_SECONDS = 1.0
MAX_DURATION_SECONDS = 4 * 3600
PEAKS_COUNT = 800

_LAYOUT_CHANNELS = {
    "mono": 1,
    "stereo": 2,
    "2.1": 3,
    "3.0": 3,
    "quad": 4,
    "4.0": 4,
    "4.1": 5,
    "5.0": 5,
    "5.1": 6,
    "6.0": 6,
    "6.1": 7,
    "7.0": 7,
    "7.1": 8,
}
_EXTENSIONS = {
    "wav": "wav",
    "flac": "flac",
    "mp3": "mp3",
    "ogg": "ogg",
    "mov": "m4a",
    "aiff": "aiff",
    "wv": "wv",
    "ape": "ape",
    "tta": "tta",
    "aac": "aac",
}


class AudioError(Exception):
    """The file is not acceptable audio; the message is safe to show to the uploader."""


class ToolError(Exception):
    """ffmpeg could not be run (missing binary, crash); the file itself may be fine."""


@dataclass(frozen=True)
class Probe:
    format_name: str
    codec: str
    channels: int
    sample_rate: int
    duration: float | None  # as declared by the container; None when unknown
    bit_rate: int | None = None

    @property
    def extension(self) -> str:
        for name in self.format_name.split(","):
            if name in _EXTENSIONS:
                return _EXTENSIONS[name]
        return "bin"


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float | None
    range_lu: float | None
    true_peak_dbtp: float | None


@dataclass
class Analysis:
    duration_ms: int
    loudness: Loudness
    peaks: list[float] = field(default_factory=list)


def ffmpeg_binary() -> str:
    configured = getattr(settings, "FFMPEG_BINARY", "")
    if configured:
        return configured
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:  # pragma: no cover - the wheel is a dependency
        raise ToolError("ffmpeg not found: set FFMPEG_BINARY.") from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def ffprobe_binary() -> str | None:
    configured = getattr(settings, "FFPROBE_BINARY", "")
    if configured:
        return configured
    return shutil.which("ffprobe")


def _limited(args: list[str], timeout: float) -> list[str]:
    """`args` under prlimit(1): a hostile file must not take the machine's memory or CPU.

    The data segment is capped, not the address space (ffmpeg's shared libraries alone map
    ~300 MB); CPU time gets the wall-clock timeout. Without prlimit (not Linux), unlimited.
    """
    prlimit = shutil.which("prlimit")
    if not prlimit:
        return args
    data = getattr(settings, "FFMPEG_MAX_DATA_MB", 512) * 1024 * 1024
    return [prlimit, f"--data={data}", f"--cpu={int(timeout) + 1}", "--", *args]


def _run(args: list[str], *, timeout: float = 1800) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            _limited(args, timeout),
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(f"Cannot run {args[0]}: {exc}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{Path(args[0]).name} timed out after {timeout} s.") from exc
    if result.returncode == 127 or b"error while loading shared libraries" in result.stderr:
        raise ToolError(f"{Path(args[0]).name} could not start (memory limit?).")
    return result


def check_timeout() -> float:
    """Seconds an upload check may decode for (a 4-hour FLAC decodes in ~15 s)."""
    return getattr(settings, "AUDIO_CHECK_TIMEOUT_SECONDS", 120)


def probe(path: str | Path) -> Probe:
    """Describe the first audio stream of `path`; raise AudioError when there is none."""
    prober = ffprobe_binary()
    return _probe_ffprobe(prober, path) if prober else _probe_ffmpeg(path)


def _probe_ffprobe(prober: str, path: str | Path) -> Probe:
    result = _run(
        [
            prober,
            "-v",
            "error",
            "-show_entries",
            "format=format_name,duration,bit_rate:stream=codec_type,codec_name,channels,"
            "sample_rate,duration,bit_rate",
            "-of",
            "json",
            str(path),
        ],
        timeout=60,
    )
    if result.returncode != 0:
        raise AudioError("The file is not a recognised audio format.")
    data = json.loads(result.stdout or b"{}")
    streams = [s for s in data.get("streams", []) if s.get("codec_type") == "audio"]
    if not streams:
        raise AudioError("The file contains no audio stream.")
    stream, fmt = streams[0], data.get("format", {})
    duration = _float(stream.get("duration")) or _float(fmt.get("duration"))
    return Probe(
        format_name=fmt.get("format_name", ""),
        codec=stream.get("codec_name", ""),
        channels=int(stream.get("channels") or 0),
        sample_rate=int(stream.get("sample_rate") or 0),
        duration=duration,
        bit_rate=_int(stream.get("bit_rate")) or _int(fmt.get("bit_rate")),
    )


_INPUT_RE = re.compile(r"^Input #0, ([^ ]+), from", re.MULTILINE)
_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO_RE = re.compile(r"Stream #0:\d+(?:\[\w+\])?(?:\(\w+\))?: Audio: ([^\n]+)")


def _probe_ffmpeg(path: str | Path) -> Probe:
    """Parse `ffmpeg -i` (exit status 1 is expected: no output file is given)."""
    result = _run([ffmpeg_binary(), "-hide_banner", "-nostdin", "-i", str(path)], timeout=60)
    text = result.stderr.decode("utf-8", "replace")
    fmt = _INPUT_RE.search(text)
    if not fmt:
        raise AudioError("The file is not a recognised audio format.")
    audio = _AUDIO_RE.search(text)
    if not audio:
        raise AudioError("The file contains no audio stream.")
    parts = [p.strip() for p in re.split(r",(?![^(]*\))", audio.group(1))]
    codec = parts[0].split(" ")[0]
    sample_rate = next((int(p.split()[0]) for p in parts if p.endswith(" Hz")), 0)
    channels = 0
    for part in parts[1:]:
        layout = part.split("(")[0].strip()
        if layout in _LAYOUT_CHANNELS:
            channels = _LAYOUT_CHANNELS[layout]
            break
        match = re.fullmatch(r"(\d+) channels", layout)
        if match:
            channels = int(match.group(1))
            break
    bit_rate = next((int(p.split()[0]) * 1000 for p in parts if p.endswith(" kb/s")), None)
    duration = None
    if match := _DURATION_RE.search(text):
        hours, minutes, seconds = match.groups()
        duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    return Probe(
        format_name=fmt.group(1),
        codec=codec,
        channels=channels,
        sample_rate=sample_rate,
        duration=duration,
        bit_rate=bit_rate,
    )


def check_probe(info: Probe) -> None:
    """Raise AudioError unless the probed stream is audio we can take as an original."""
    if not (info.codec.startswith("pcm_") or info.codec in ACCEPTED_CODECS):
        raise AudioError(f"Unsupported audio codec {info.codec!r}.")
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise AudioError(f"Unsupported channel count {info.channels} (1 to {MAX_CHANNELS}).")
    if info.sample_rate < 8000:
        raise AudioError(f"Unsupported sample rate {info.sample_rate} Hz.")
    if info.duration is not None and info.duration > MAX_DURATION_SECONDS:
        raise AudioError(f"The audio is longer than {MAX_DURATION_SECONDS // 3600} hours.")


def decode_check(path: str | Path, info: Probe) -> float:
    """Decode the whole first audio stream with error detection; return its duration (s).

    ffmpeg exits 0 on many corrupt files, so any message on stderr at level `error` counts
    as corruption too; a decode much shorter than the container declares means truncation.
    """
    result = _run(
        [
            ffmpeg_binary(),
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-v",
            "error",
            "-err_detect",
            "crccheck+bitstream+buffer",
            "-i",
            str(path),
            "-xerror",
            "-map",
            "0:a:0",
            "-f",
            "null",
            "-progress",
            "pipe:1",
            "-",
        ],
        timeout=check_timeout(),
    )
    errors = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0 or errors:
        first = errors.splitlines()[0] if errors else f"ffmpeg exit status {result.returncode}"
        raise AudioError(f"The audio is corrupt and cannot be decoded ({_clean(first)}).")
    decoded = _progress_seconds(result.stdout.decode("ascii", "replace"))
    if decoded < MIN_DURATION_SECONDS:
        raise AudioError(f"The audio is shorter than {MIN_DURATION_SECONDS:g} second.")
    if decoded > MAX_DURATION_SECONDS:
        raise AudioError(f"The audio is longer than {MAX_DURATION_SECONDS // 3600} hours.")
    if info.duration and decoded < info.duration - max(0.5, info.duration * 0.02):
        raise AudioError(
            f"The audio is truncated: {decoded:.1f} s decoded of {info.duration:.1f} s declared."
        )
    return decoded


def _progress_seconds(progress: str) -> float:
    values = re.findall(r"^out_time_(?:us|ms)=(\d+)$", progress, re.MULTILINE)
    return int(values[-1]) / 1_000_000 if values else 0.0


def _clean(line: str) -> str:
    # Drop "[decoder @ 0x55...]" prefixes and the server-side path.
    line = re.sub(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line)
    return re.sub(r"^/\S+: ", "", line)[:200]


def decode_to_wav(path: str | Path, wav_path: str | Path) -> None:
    """Decode to 16-bit PCM WAV (stereo at most, 48 kHz at most) with error detection."""
    info = probe(path)
    args = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y"]
    args += ["-i", str(path), "-xerror", "-map", "0:a:0", "-acodec", "pcm_s16le"]
    if info.channels > 2:
        args += ["-ac", "2"]
    if info.sample_rate > 48000:
        args += ["-ar", "48000"]
    args += ["-f", "wav", str(wav_path)]
    result = _run(args)
    errors = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0 or errors:
        first = errors.splitlines()[0] if errors else f"ffmpeg exit status {result.returncode}"
        raise AudioError(f"The audio cannot be decoded ({_clean(first)}).")


_LOUDNESS_RE = {
    "integrated_lufs": re.compile(r"Integrated loudness:\s+I:\s+(-?[\d.]+|-inf) LUFS"),
    "range_lu": re.compile(r"Loudness range:\s+LRA:\s+(-?[\d.]+) LU"),
    "true_peak_dbtp": re.compile(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS"),
}


def measure_loudness(path: str | Path) -> Loudness:
    """EBU R128 integrated loudness, loudness range and true peak (ffmpeg's ebur128)."""
    result = _run(
        [
            ffmpeg_binary(),
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-v",
            "info",
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ]
    )
    if result.returncode != 0:
        raise ToolError("ffmpeg ebur128 failed.")
    summary = result.stderr.decode("utf-8", "replace").rpartition("Summary:")[2]
    values = {}
    for name, pattern in _LOUDNESS_RE.items():
        match = pattern.search(summary)
        number = float(match.group(1)) if match else None
        values[name] = None if number is None or math.isinf(number) else number
    return Loudness(**values)


def waveform_peaks(samples, *, channels: int, count: int = PEAKS_COUNT, full_scale: int) -> list:
    """Peak amplitude (0..1) of `count` equal slices of interleaved `samples`."""
    frames = len(samples) // max(channels, 1)
    if frames == 0:
        return []
    count = min(count, frames)
    peaks = []
    for i in range(count):
        start = (frames * i // count) * channels
        end = (frames * (i + 1) // count) * channels
        chunk = samples[start:end]
        peak = max(max(chunk), -min(chunk)) if len(chunk) else 0
        peaks.append(round(min(peak / full_scale, 1.0), 3))
    return peaks


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
