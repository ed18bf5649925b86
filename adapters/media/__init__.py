"""Media: photos attached to e-consultations, checked by content and stripped of metadata."""
