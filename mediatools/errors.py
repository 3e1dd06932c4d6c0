class AudioError(Exception):
    """The file is not acceptable audio; the message is safe to show to the uploader."""


class ToolError(Exception):
    """ffmpeg could not be run (missing binary, spawn failure, crash): a transient failure
    of this machine, not of the file; retry later."""
