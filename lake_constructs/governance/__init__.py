"""Lake Formation governance: administrators, registered locations, LF-tags and grants (README.md)."""
