"""Identity: the national login (OIDC, authlib) and our own access tokens (PyJWT)."""
