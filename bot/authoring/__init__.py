"""Tools for writers: validation with file:line, YAML line tracking, translatable strings, extractor, graph."""
