"""Cover art: check uploaded images by content, make the three served sizes, find art in
audio files and folders, and draw a deterministic cover from a track's audio.

Nothing here touches the database or storage; `catalog.services` stores what it returns.
"""

import base64
import colorsys
import hashlib
import io
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mutagen
from mutagen.flac import Picture
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError

from common.errors import ValidationFailed
from mediatools.ffmpeg import ffmpeg_binary

SIZES = (640, 300, 64)  # the sizes Spotify serves in `images`, largest first
ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MIN_SIDE = 64
MAX_SIDE = 6000
MAX_PIXELS = 6000 * 6000
FOLDER_ART = ("cover", "folder", "front", "album", "artwork")
ART_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp")


class ImageRejected(ValidationFailed):
    """The image cannot be used as cover art; `message` says why."""


@dataclass(frozen=True)
class CoverImages:
    """The JPEG bytes of each size in SIZES, and the SHA-256 of the 640 one."""

    sha256: str
    sizes: dict[int, bytes]


def cover_images(data: bytes, *, max_bytes: int) -> CoverImages:
    """Check `data` by content (a real, not too large image) and make the served sizes.

    Raises ImageRejected with the reason. The stored versions are re-encoded JPEGs without
    metadata, so nothing of the upload but its pixels is ever served.
    """
    if not data:
        raise ImageRejected("The image is empty.")
    if len(data) > max_bytes:
        raise ImageRejected(f"The image is larger than {max_bytes // (1024 * 1024)} MB.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            width, height = probe.size
            if image_format not in ALLOWED_FORMATS:
                raise ImageRejected(
                    f"Unsupported image format {image_format or 'unknown'}: use JPEG or PNG."
                )
            if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
                raise ImageRejected(f"The image is too large ({width}x{height}).")
            if min(width, height) < MIN_SIDE:
                raise ImageRejected(f"The image is too small ({width}x{height}).")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image).convert("RGB")
    except ImageRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRejected(f"Not a readable image ({exc}).") from None
    except Image.DecompressionBombError:
        raise ImageRejected("The image is too large.") from None
    square = ImageOps.fit(image, (SIZES[0], SIZES[0]), method=Image.Resampling.LANCZOS)
    sizes = {}
    for side in SIZES:
        version = square if side == SIZES[0] else square.resize((side, side), Image.LANCZOS)
        out = io.BytesIO()
        version.save(out, format="JPEG", quality=88, optimize=True)
        sizes[side] = out.getvalue()
    return CoverImages(sha256=hashlib.sha256(sizes[SIZES[0]]).hexdigest(), sizes=sizes)


def embedded_art(path: Path) -> bytes | None:
    """The front cover embedded in an audio file (ID3 APIC, FLAC/Vorbis picture, MP4 covr)."""
    try:
        audio = mutagen.File(path)
    except Exception:  # mutagen raises more than MutagenError on damaged files
        return None
    if audio is None:
        return None
    tags = audio.tags
    pictures = list(getattr(audio, "pictures", None) or [])  # FLAC
    if tags is not None and hasattr(tags, "getall"):  # ID3
        frames = tags.getall("APIC")
        front = [frame for frame in frames if frame.type == 3] or frames
        return bytes(front[0].data) if front else None
    if tags is not None and "covr" in tags:  # MP4
        return bytes(tags["covr"][0])
    if tags is not None and "metadata_block_picture" in tags:  # Vorbis comment
        for encoded in tags["metadata_block_picture"]:
            try:
                pictures.append(Picture(base64.b64decode(encoded)))
            except (ValueError, mutagen.MutagenError):
                continue
    front = [picture for picture in pictures if picture.type == 3] or pictures
    return bytes(front[0].data) if front else None


def folder_art(folder: Path) -> Path | None:
    """cover.jpg, folder.png, ... next to the audio files (any case), if there is one."""
    for candidate in sorted(folder.iterdir()):
        if (
            candidate.is_file()
            and candidate.suffix.lower() in ART_EXTENSIONS
            and candidate.stem.lower() in FOLDER_ART
        ):
            return candidate
    return None


def generated_cover(audio_path: Path, *, seed: str) -> bytes:
    """Draw a cover from the audio's waveform, in colours picked by `seed` (deterministic).

    ffmpeg renders the waveform of the whole track; Pillow lays it over a two-colour
    gradient. The same audio and seed give the same image.
    """
    digest = hashlib.sha256(seed.encode()).digest()
    hue = digest[0] / 255
    top, bottom, wave = _palette(hue, digest[1] / 255)
    side = SIZES[0]
    with tempfile.TemporaryDirectory(prefix="streamify-cover-") as tmp:
        png = Path(tmp) / "wave.png"
        command = [
            ffmpeg_binary(), "-nostdin", "-v", "error", "-y", "-i", str(audio_path),
            "-filter_complex",
            f"aformat=channel_layouts=mono,showwavespic=s={side}x{side // 2}:"
            f"split_channels=0:colors=white:scale=sqrt",
            "-frames:v", "1", str(png),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=300)  # noqa: S603
        with Image.open(png) as rendered:
            mask = rendered.convert("L")
    gradient = Image.linear_gradient("L").resize((side, side))
    image = Image.composite(
        Image.new("RGB", (side, side), bottom), Image.new("RGB", (side, side), top), gradient
    )
    layer = Image.new("RGB", mask.size, wave)
    image.paste(layer, (0, side // 4), mask)
    draw = ImageDraw.Draw(image)
    inset = side // 16
    draw.rectangle((inset, inset, side - inset, side - inset), outline=wave, width=3)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _palette(hue: float, shift: float) -> tuple[tuple[int, ...], ...]:
    def rgb(h: float, s: float, v: float) -> tuple[int, ...]:
        return tuple(round(c * 255) for c in colorsys.hsv_to_rgb(h % 1, s, v))

    return (
        rgb(hue, 0.55, 0.35),
        rgb(hue + 0.12 + shift * 0.2, 0.65, 0.75),
        rgb(hue + 0.5, 0.25, 1.0),
    )
