"""The content as files: reading dialogues/*.yaml and the translations into the content model, with file:line
problems (loader.py), and what that reading shares with the writers' tools (YAML with lines, translatable
strings, where the bundled content lives, the actions' JSON Schema)."""
