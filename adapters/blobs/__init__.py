"""Blob stores: bytes kept outside the database (photos), behind `app.ports.BlobStore`."""
