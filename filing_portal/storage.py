"""Private file storage: the filesystem under var/private/, with no URLs at all."""

from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files here have no public address: every read goes through a permission-checked view
    (qualifications.views.document_file). Asking for a URL is a bug, so it fails loudly."""

    def url(self, name):
        raise NotImplementedError("Private storage has no URLs: serve files through qualifications.views.")
