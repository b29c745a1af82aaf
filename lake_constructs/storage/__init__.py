"""Storage: the encrypted, versioned, logged buckets the lake keeps its data in."""
