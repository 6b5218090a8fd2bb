"""Features: one module each, registering its actions and effects."""
