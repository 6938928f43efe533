"""Attachments of the home survey: where they are stored and which files are accepted.

A file is accepted by what it is, not what it is called: its first bytes must be those of a JPEG, PNG or
PDF and agree with its extension. Files go under settings.MEDIA_ROOT when the installation sets one,
otherwise under VAR_DIR/media (var/media in a checkout), never inside the code.
"""

import hashlib
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_FILES = 10
# extension → (content type, magic prefix)
KINDS = {
    ".jpg": ("image/jpeg", b"\xff\xd8\xff"),
    ".jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    ".png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    ".pdf": ("application/pdf", b"%PDF-"),
}


@deconstructible
class AttachmentStorage(FileSystemStorage):
    """Reads its location from settings on every use, so tests and installations can move it."""

    @property
    def base_location(self):
        return getattr(settings, "MEDIA_ROOT", "") or str(settings.VAR_DIR / "media")

    @property
    def location(self):
        return os.path.abspath(self.base_location)


attachment_storage = AttachmentStorage()


class AttachmentRefused(InvalidInput):
    pass


@dataclass
class CheckedFile:
    name: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def attachment_check(upload, *, field: str = "attachments") -> CheckedFile:
    """Raise AttachmentRefused with a message naming the file unless it is a JPEG, PNG or PDF of at most 5 MB."""
    name = os.path.basename(getattr(upload, "name", "") or "file")[:200]
    size = getattr(upload, "size", None)
    if size is None or size > MAX_BYTES:
        raise AttachmentRefused(_("%(name)s is larger than 5 MB; attach a smaller file."), field=field, name=name)
    extension = os.path.splitext(name)[1].lower()
    kind = KINDS.get(extension)
    if kind is None:
        raise AttachmentRefused(_("%(name)s is not a JPG, PNG or PDF file."), field=field, name=name)
    upload.seek(0)
    content = upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise AttachmentRefused(_("%(name)s is larger than 5 MB; attach a smaller file."), field=field, name=name)
    content_type, magic = kind
    if not content.startswith(magic):
        raise AttachmentRefused(
            _("%(name)s is not really a JPG, PNG or PDF file (its content does not match its name)."),
            field=field,
            name=name,
        )
    return CheckedFile(name, content_type, len(content), hashlib.sha256(content).hexdigest(), content)
