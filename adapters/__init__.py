"""The outside world (formats, identity, push, FHIR), each behind a port of app.ports."""
