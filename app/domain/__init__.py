"""Pure rules and the msgspec Structs they speak in. No I/O here."""
