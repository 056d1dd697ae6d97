"""The features around the operators, one file per feature."""
