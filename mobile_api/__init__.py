"""The Litestar delivery layer and the composition root."""
