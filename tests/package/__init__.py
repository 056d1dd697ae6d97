"""The package's shape."""
