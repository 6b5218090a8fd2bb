"""A feature added the way docs/writing.md says ("Adding a feature"): its dialogue, its module, its messages and their
English translation, all here; the test that assembles Gaffe with it is tests/test_feature_example.py."""
