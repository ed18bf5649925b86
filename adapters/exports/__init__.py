"""The citizen's data export as files: the zip, its FHIR Bundle and its README (ADR 0022)."""
