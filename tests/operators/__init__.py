"""Each operator's documented semantics and edge cases, one file per operator family of ``typedstream/_ops``."""
