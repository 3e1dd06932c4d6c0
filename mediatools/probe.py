"""Recognise an audio file by its bytes and read its stream facts from the headers.

No decoding happens here (that is `media.transcode`, in the worker): a check costs a few
header reads, so a web request or a 100k-file import can afford it. Headers can lie (a
declared length, a cut file); the decode in the transcode step catches what they hide.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
from mutagen.aac import AAC
from mutagen.flac import FLAC
from mutagen.mp3 import MP3, BitrateMode
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from mediatools.errors import AudioError

MAX_CHANNELS = 8
MIN_SAMPLE_RATE = 8000
MAX_SAMPLE_RATE = 384_000
MIN_DURATION_SECONDS = 1.0
MAX_DURATION_SECONDS = 4 * 3600
_ZERO_PADDING_MAX = 4096  # some encoders pad before the first MP3 frame
_WAVE_FORMATS = {1: "pcm", 3: "pcm_float", 0xFFFE: "pcm"}  # PCM, IEEE float, extensible


@dataclass(frozen=True)
class Container:
    name: str  # what the bytes say: mp3, ogg, flac, mp4, wav, aac
    demuxer: str  # the ffmpeg input format forced with -f


CONTAINERS = {
    "mp3": Container("mp3", "mp3"),
    "ogg": Container("ogg", "ogg"),
    "flac": Container("flac", "flac"),
    "mp4": Container("mp4", "mov"),
    "wav": Container("wav", "wav"),
    "aac": Container("aac", "aac"),
}


@dataclass(frozen=True)
class Probe:
    """One audio file's container and first audio stream, as its headers declare them."""

    container: Container
    codec: str
    channels: int
    sample_rate: int
    duration: float  # seconds, declared
    duration_exact: bool  # False when estimated from a bitrate (MP3 without index, ADTS)
    bit_rate: int | None
    extension: str  # for the stored original: from the content, never the upload's name
    file: Any = field(default=None, compare=False, repr=False)  # the mutagen object (tags)

    @property
    def format_name(self) -> str:
        return self.container.name


def sniff(path: Path) -> Container | None:
    """Return the container `path`'s bytes start with, or None for anything else.

    Text (playlists, ffconcat scripts, HTML), images, video containers and unknown bytes
    all come out None.
    """
    with Path(path).open("rb") as fh:
        head = fh.read(16)
        offset = 0
        if head[:3] == b"ID3" and len(head) >= 10:
            size = _syncsafe(head[6:10])
            offset = 10 + size + (10 if head[5] & 0x10 else 0)
            fh.seek(offset)
            head = fh.read(16)
        if head[:4] == b"fLaC":
            return CONTAINERS["flac"]
        if offset == 0 and head[:4] == b"OggS":
            fh.seek(26)
            segments = fh.read(1)
            if not segments:
                return None
            fh.seek(27 + segments[0])
            packet = fh.read(8)
            if packet[:7] == b"\x01vorbis" or packet == b"OpusHead":
                return CONTAINERS["ogg"]
            return None
        if offset == 0 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
            return CONTAINERS["wav"]
        if offset == 0 and head[4:8] == b"ftyp":
            return CONTAINERS["mp4"]
        if head[:1] == b"\x00":
            fh.seek(offset)
            padding = fh.read(_ZERO_PADDING_MAX)
            skipped = len(padding) - len(padding.lstrip(b"\x00"))
            fh.seek(offset + skipped)
            head = fh.read(4)
        if _is_adts(head):
            return CONTAINERS["aac"]
        if _is_mpeg_audio(head):
            return CONTAINERS["mp3"]
    return None


def _syncsafe(data: bytes) -> int:
    return (data[0] & 0x7F) << 21 | (data[1] & 0x7F) << 14 | (data[2] & 0x7F) << 7 | data[3] & 0x7F


def _is_adts(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xF6) == 0xF0


def _is_mpeg_audio(head: bytes) -> bool:
    if len(head) < 4 or head[0] != 0xFF or (head[1] & 0xE0) != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate_index, rate_index = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer in (1, 2) and bitrate_index not in (0, 15) and rate_index != 3


def probe(path: Path) -> Probe:
    """Recognise `path` by content and read its headers; raise AudioError if unacceptable."""
    path = Path(path)
    try:
        container = sniff(path)
    except OSError as exc:
        raise AudioError(f"The file cannot be read ({exc.strerror or exc}).") from None
    if container is None:
        raise AudioError(
            "The file is not a recognised audio format (MP3, Ogg Vorbis or Opus, FLAC, M4A, "
            "AAC or WAV)."
        )
    try:
        info = _read(path, container)
    except AudioError:
        raise
    except Exception:  # mutagen raises many types on damaged headers
        raise AudioError(
            f"The file is not a recognised audio format (damaged {container.name} headers)."
        ) from None
    check(info, size=path.stat().st_size)
    return info


def _read(path: Path, container: Container) -> Probe:
    name = container.name
    if name == "mp3":
        raw = MP3(path)
        codec = {3: "mp3", 2: "mp2"}.get(raw.info.layer, f"mp{raw.info.layer}")
        # The length is exact only with a Xing/Info/VBRI header; else it is estimated.
        exact = raw.info.bitrate_mode != BitrateMode.UNKNOWN
        return _probe(container, raw, codec, "mp3", exact=exact)
    if name == "ogg":
        _check_ogg_complete(path)
        try:
            raw = OggOpus(path)
        except mutagen.MutagenError:
            raw = OggVorbis(path)
            return _probe(container, raw, "vorbis", "ogg", exact=True)
        return _probe(container, raw, "opus", "opus", exact=True, sample_rate=48000)
    if name == "flac":
        raw = FLAC(path)
        return _probe(container, raw, "flac", "flac", exact=True)
    if name == "mp4":
        raw = MP4(path)
        codec = (getattr(raw.info, "codec", "") or "").lower()
        if codec.startswith("mp4a"):
            return _probe(container, raw, "aac", "m4a", exact=True)
        if codec == "alac":
            return _probe(container, raw, "alac", "m4a", exact=True)
        raise AudioError(f"Unsupported audio codec {codec or 'unknown'!r} in MP4.")
    if name == "aac":
        raw = AAC(path)
        return _probe(container, raw, "aac", "aac", exact=False)
    raw = WAVE(path)
    codec = _WAVE_FORMATS.get(raw.info.audio_format)
    if codec is None:
        raise AudioError(f"Unsupported audio codec (WAV format {raw.info.audio_format:#06x}).")
    return _probe(container, raw, codec, "wav", exact=True)


def _check_ogg_complete(path: Path) -> None:
    """A cut Ogg file still parses and decodes; its last page lacks the end-of-stream flag."""
    from mutagen.ogg import OggPage

    with path.open("rb") as fh:
        first = OggPage(fh)
        last = OggPage.find_last(fh, first.serial)
    if last is None or not last.last:
        raise AudioError("The audio is truncated: the Ogg stream has no end page.")


def _probe(container, raw, codec, extension, *, exact, sample_rate=None) -> Probe:
    info = raw.info
    bitrate = getattr(info, "bitrate", None)
    return Probe(
        container=container,
        codec=codec,
        channels=int(getattr(info, "channels", 0) or 0),
        sample_rate=int(sample_rate or getattr(info, "sample_rate", 0) or 0),
        duration=float(getattr(info, "length", 0) or 0),
        duration_exact=exact,
        bit_rate=int(bitrate) if bitrate else None,
        extension=extension,
        file=raw,
    )


def check(info: Probe, *, size: int | None = None) -> None:
    """Raise AudioError unless the declared stream is one we take as an original."""
    if not 1 <= info.channels <= MAX_CHANNELS:
        raise AudioError(f"Unsupported channel count {info.channels} (1 to {MAX_CHANNELS}).")
    if not MIN_SAMPLE_RATE <= info.sample_rate <= MAX_SAMPLE_RATE:
        raise AudioError(f"Unsupported sample rate {info.sample_rate} Hz.")
    if info.duration > MAX_DURATION_SECONDS:
        raise AudioError(f"The audio is longer than {MAX_DURATION_SECONDS // 3600} hours.")
    if info.duration < MIN_DURATION_SECONDS:
        raise AudioError(f"The audio is shorter than {MIN_DURATION_SECONDS:g} second.")
    if info.container.name == "wav" and size is not None:
        # PCM has a known size: a header promising more data than the file holds is cut.
        expected = info.duration * info.sample_rate * info.channels * _wav_sample_bytes(info)
        if expected > size + 1024:
            raise AudioError(
                f"The audio is truncated: the header declares {info.duration:.1f} s, "
                "the file holds less."
            )


def _wav_sample_bytes(info: Probe) -> int:
    bits = getattr(info.file.info, "bits_per_sample", 16) if info.file is not None else 16
    return max(1, (bits + 7) // 8)
