"""The laws, checked by Hypothesis against a plain list model over random chains and chunkings; every example also
checks rule 23 for itself (``tests.support.leaks.example_scope``)."""
