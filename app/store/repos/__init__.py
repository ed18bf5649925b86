"""SQL repositories, one module per area, written once for both engines."""
