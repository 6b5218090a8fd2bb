"""External public data Gaffe looks things up in; loaded once, matched in memory, nothing typed is stored.

- `breaches`: Have I Been Pwned's public breach catalogue (CC BY 4.0, credit Have I Been Pwned).
- `stalkerware`: Echap's stalkerware indicators, ioc.yaml (CC BY 4.0, credit Echap).
- `normalise`: how what a user types is folded before it is matched; `download`: HTTP and atomic writes.
- `update`: the `python -m bot update-data` command.

What a user types is folded and looked up in a dict, then dropped: it is never logged nor written anywhere.
"""
