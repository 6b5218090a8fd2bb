"""How names, domains and package names are folded so that what a user types matches the data.

Both look-ups use the same rules, so "mSpy", " M Spy ", "mspy" and "MSPY" are one key, and
"https://www.mspy.com/fr/" is the host "mspy.com".
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

# Second-level labels under which a country code's domains are registered (mspy.co.uk, mspy.com.br).
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "ne", "net", "or", "org"})
# Longer than any app, service, package name or URL worth matching: answered "not found" without folding it.
MAX_QUERY_LENGTH = 300


def fold(text: str) -> str:
    """Casefolded, accents stripped, only letters and digits kept ("Pokébip" → "pokebip", "M Spy" → "mspy").

    Letters of any script are kept ("Пара Па" → "парапа"); combining marks, spaces and punctuation go.
    """
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if c.isalnum())


def host_of(text: str) -> str | None:
    """The host a URL or a bare domain names, lowercased and without "www."; None if it names none.

    "https://www.mspy.com/x" → "mspy.com"; "WWW.mSpy.com." → "mspy.com"; "mSpy" → None. A package
    name such as "com.mspy.lite" looks like a host too: callers look it up where packages are.
    """
    text = text.strip()
    if "://" in text:
        try:
            host = urlsplit(text).hostname or ""
        except ValueError:
            return None
    else:
        host = text.split("/", 1)[0].rsplit("@", 1)[-1].split(":", 1)[0]
    host = host.casefold().rstrip(".").removeprefix("www.")
    labels = host.split(".")
    if len(labels) < 2 or not all(labels) or any(not (c.isalnum() or c in "-_") for c in host.replace(".", "")):
        return None
    return host


def domain_label(host: str) -> str:
    """The name a host is registered under: "mspy.com" → "mspy", "mspy.co.uk" → "mspy", "dev.dota2.com" → "dota2"."""
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return labels[-3]
    return labels[-2] if len(labels) >= 2 else labels[0]
