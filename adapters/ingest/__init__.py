"""Ingest: readers that turn outside formats (Apple Health, FIT) into normalised samples."""
