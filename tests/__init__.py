"""The test suite of typedstream: the engine's rules, the laws, the operators, the features and the package."""
