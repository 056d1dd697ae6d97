"""The operators, in families: each module holds its operators' constructors (checked options to an ``Op``)
beside what they do to chunks (a kernel or a puller), built from the engine's primitives."""
