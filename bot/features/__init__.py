"""Features: one module each, exporting its manifest (`FEATURE`, bot/core/feature.py): what it registers in a
registry of its own, its tables, data sets, scheduled jobs, personal data and /stats line. Importing a feature
registers nothing anywhere: bot/app.py lists the features (`FEATURES`) and assembles Gaffe from that list.

How to add one: docs/writing.md, "Adding a feature" (a YAML dialogue that names an action with `do:`, one module
here, and one line in `bot/app.py`'s list).
"""
