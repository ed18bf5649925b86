"""Cloud vendors' OAuth and data APIs (Withings, Polar) behind `app.ports.connections`."""
