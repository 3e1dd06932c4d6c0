"""Facts about the configured file storage that several layers need."""

from django.core.files.storage import default_storage


def storage_is_local() -> bool:
    """Whether files live on this machine's disk (else object storage: S3 and the like,
    served from another origin)."""
    try:
        default_storage.path("")
    except NotImplementedError:
        return False
    return True
