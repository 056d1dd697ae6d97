"""The engine's rules (docs/rules.md), one file per rule, in rule order."""
