"""The JSON API for scanner apps under ``/api/v1``: bearer tokens, OpenAPI 3.1."""
