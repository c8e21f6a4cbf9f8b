"""Where an upload waits for its import: in the database (ImportUpload).

Any worker on any node reads it there; no file system is shared between the
node that took the upload and the one that imports it
(docs/decisions/0085-import-uploads-in-the-database.md). The parser reads
files by path (a CSV is read twice, a workbook is opened by openpyxl), so a
run copies the bytes into a private temporary file for its duration.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from .models import ImportUpload
from .parsing import ImportFileError


def read_upload(upload: Any) -> tuple[bytes, str, int]:
    """The upload's bytes, their SHA-256 and size (the request already
    capped the size: IMPORT_MAX_UPLOAD_BYTES)."""
    digest, parts = hashlib.sha256(), []
    for chunk in upload.chunks():
        digest.update(chunk)
        parts.append(chunk)
    content = b"".join(parts)
    return content, digest.hexdigest(), len(content)


def upload_store(job_id: int, content: bytes) -> None:
    """Keep the bytes for job `job_id` (inside the caller's transaction)."""
    ImportUpload.objects.create(job_id=job_id, content=content)


def upload_discard(job_id: int) -> None:
    """Forget the bytes: the job is finished and will not run again."""
    ImportUpload.objects.filter(job_id=job_id).delete()


def _scratch_dir() -> str:
    folder = getattr(settings, "IMPORT_UPLOAD_DIR", "") or tempfile.gettempdir()
    os.makedirs(folder, exist_ok=True)
    return folder


@contextlib.contextmanager
def local_copy(job_id: int) -> Iterator[Path]:
    """A temporary file holding the job's upload, removed afterwards.
    Raises ImportFileError when nothing is stored (retrying cannot help)."""
    row = ImportUpload.objects.filter(job_id=job_id).values_list("content", "job__filename").first()
    if row is None:
        raise ImportFileError(
            "The uploaded file is no longer stored; nothing was imported. Upload it again."
        )
    content, filename = row
    # openpyxl opens a workbook only under a workbook's file name extension.
    suffix = ".xlsx" if str(filename).lower().endswith(".xlsx") else ".csv"
    fd, name = tempfile.mkstemp(prefix=f"import-{job_id}-", suffix=suffix, dir=_scratch_dir())
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        del content
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
