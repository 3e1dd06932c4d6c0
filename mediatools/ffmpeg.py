"""Run ffmpeg on one audio file, confined: forced input format, file protocol only, limits.

ffmpeg is `settings.FFMPEG_BINARY`, else the one on PATH, else the imageio-ffmpeg wheel's
(which ships no ffprobe; nothing here needs one).
"""

import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from mediatools.errors import ToolError
from mediatools.probe import Probe


def ffmpeg_binary() -> str:
    """Return the ffmpeg to run: the setting, else PATH, else the imageio-ffmpeg wheel's."""
    if settings.FFMPEG_BINARY:
        return settings.FFMPEG_BINARY
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - the wheel is a runtime requirement
        raise ImproperlyConfigured(
            "No ffmpeg: set FFMPEG_BINARY or install imageio-ffmpeg."
        ) from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def input_args(path: Path, info: Probe) -> list[str]:
    """The input part of a command: the probed container forced, only `file:` allowed.

    With `-f` set, ffmpeg never guesses a demuxer (no HLS, concat or playlist reader can
    be chosen by content), and the protocol whitelist stops any reference the demuxer finds
    from opening another file or a network address.
    """
    return file_input_args(path, info.container.demuxer, "-err_detect", _err_detect(info))


def _err_detect(info: Probe) -> str:
    """Damage the decoders can tell. Not `buffer` for MP3: ancillary data after a frame's
    audio is allowed there, and encoders write it (the demo's singularity-music tracks set
    off hundreds of "bits_left" reports while every sample decodes)."""
    return "crccheck+bitstream" if info.container.demuxer == "mp3" else "crccheck+bitstream+buffer"


def file_input_args(path: Path, demuxer: str, *options: str) -> list[str]:
    """The input part of a command for a file known to be container `demuxer` (ffmpeg's
    input format name): that format forced, only `file:` allowed, `options` before `-i`."""
    return [
        "-protocol_whitelist",
        "file",
        "-f",
        demuxer,
        *options,
        "-i",
        f"file:{Path(path).resolve()}",
    ]


def limited(args: list[str], *, timeout: float) -> list[str]:
    """`args` under prlimit(1): a hostile file must not take the machine's memory or CPU.

    The data segment is capped, not the address space (ffmpeg's shared libraries alone map
    ~300 MB); CPU time gets the wall-clock timeout. Without prlimit (not Linux), unlimited.
    """
    prlimit = shutil.which("prlimit")
    if not prlimit:
        return args
    data = settings.FFMPEG_MAX_DATA_MB * 1024 * 1024
    return [prlimit, f"--data={data}", f"--cpu={int(timeout) + 1}", "--", *args]


def popen(args: list[str], *, timeout: float, **kwargs) -> subprocess.Popen:
    """Start `args` under limits; a failure to spawn is a ToolError (transient)."""
    try:
        return subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            limited(args, timeout=timeout), stdin=subprocess.DEVNULL, **kwargs
        )
    except OSError as exc:  # missing binary, EAGAIN/ENOMEM on fork
        raise ToolError(f"ffmpeg could not start: {exc}") from exc


def raise_if_could_not_start(returncode: int, stderr: str) -> None:
    if returncode == 127 or "error while loading shared libraries" in stderr:
        raise ToolError("ffmpeg could not start (memory limit?).")
    if returncode < 0 or returncode in (128 + 9, 128 + 24):  # killed: SIGKILL, SIGXCPU
        raise ToolError(f"ffmpeg was killed (status {returncode}).")
