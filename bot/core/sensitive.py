"""Recognise a message that carries a secret, and say which kind, before anything else reads it.

Gaffe never asks for a password, a code, a card number or a key, and says so when someone sends one
anyway: such a message is refused first, wherever it arrives (a menu, a free-text answer, a reminder
label), so it is never saved, logged or echoed, and the user is told what to do for that kind.
`detect` runs on every message: it is pure, and its patterns are compiled once.

The rules were built on a labelled corpus (`tests/corpus/`: secrets of every kind and ordinary chat
lines in French and English); `tests/test_secret_corpus.py` prints the recall and the false-alarm rate,
and `bench/secret_filter.py` prints them on a held-out corpus the rules were never tuned on.
The text is read `normalise`d first (NFKC: full-width digits become ASCII, non-breaking and narrow
spaces plain ones; every invisible format character removed: zero-width spaces and joiners, direction
marks, soft hyphens), so "4970\u200b1012…" is read as a person sees it.
The rules are general on purpose (issue 18: tuned on lines of its own, the filter must hold on lines it
has never seen): a cue then a value that gives rather than describes, numbers checked by their checksum
or shape, words whose structure (a word and a number, letters mixed with digits) makes them made up.
The decisions, strongest evidence first:

- **private_key**: a PEM/OpenSSH/PGP `-----BEGIN … PRIVATE KEY-----` header, a PuTTY key file, a
  `0x` + 64 hex digits (an Ethereum key) or a WIF Bitcoin key (base58, 51–52 characters); after "clé privée",
  64 hex digits or 40–100 letters and digits in one piece (a Solana key in base58).
- **api_token**: the documented prefixes of well-known services (GitHub `ghp_`, Slack `xoxb-`, AWS
  `AKIA`, Google `AIza`, OpenAI/Anthropic `sk-`, Stripe `sk_live_`, a Telegram bot token, a JWT…), or
  a long random-looking word after "token", "API key", "clé API".
- **recovery_phrase**: 12 or more consecutive words of the BIP-39 English or French word lists (the
  lists shipped with the `mnemonic` package, not hand typed), numbering and commas allowed between them.
  Ordinary sentences never get there: "the", "de", "you", "my" are not in those lists. Announced ("seed",
  "phrase de récupération", "24 mots"), 9 listed words in any 12 will do: a phrase is often mistyped.
- **iban**: a country code, two check digits and 11–30 letters or digits that pass the ISO 13616
  mod-97 check. An IBAN is not secret, but Gaffe has no use for it.
- **identity**: a French social-security number (NIR) whose key checks out, a US social-security number
  with its dashes (123-45-6789), a UK National Insurance number (QQ 12 34 56 C) or a Spanish DNI / NIE whose
  check letter (the number mod 23) is right, wherever they are; or a French identity card of the 2021 format
  (nine letters and digits, mixed) after an identity word; or,
  after "sécu", "NIR", "carte vitale", "passeport", "SSN", "SIN", "NI number", "carte d'identité", a
  driving licence's or a tax number's name…, a number of 6 digits or more (not a spaced phone number).
- **card**: 13–19 digits (contiguous, or in groups of 4 split by spaces, dashes, dots, "/" or "_", or 4-6-5 for
  Amex; an expiry right after is not read as a group) that start like a card (2–6) and pass the Luhn check,
  except near "IMEI", "SIRET" or "SIREN" (Luhn-valid too); or 3–4 digits
  after "CVV", "CVC", "cryptogramme", "les chiffres derrière (la carte)", "the digits on the back", in
  figures, one by one ("7 3 2") or in words ("quatre cent dix", "five one nine"): the code on the back is
  refused as the card.
- **code**: a BitLocker recovery key (eight groups of six digits, each a multiple of 11), dashed groups of letters
  and digits after a recovery word (Apple's "RK-…", a Mac's FileVault key), a padlock's or a safe's combination
  (three digits after ":" / "c'est", one by one, or a dial's "27 left 14 right 33"); 4–8 digits (grouped or not)
  after a code word ("code", "PIN", "OTP", "passcode",
  "digicode"…) that is not a postal, promo, error or source code; Google's "G-123456"; or a message
  that is nothing but 4–8 digits. Such a lone number is ambiguous, so it is read in context:
  `expects_number=True` (the question waiting expects a number) makes it an answer; otherwise a lone
  4-digit number from 1900 to 2099 is a year, a lone 5-digit number shaped like a French postal code
  is one, a 10-digit number starting with 0 is a French phone number, a date is a date, and anything
  else is a code. A code word next to "par défaut" / "default" talks about a factory PIN, not a secret.
  Unlocking words ("pour déverrouiller je tape 1470", "to unlock it") count as code words; after a code
  word and ":" / "c'est", a mix of letters and digits is a code too ("code: 8KD3Q"; with no ":", only one
  that mixes them through: "code portail 1A2B3", not a promo code "SAVE15"), and so are digits said in words
  ("un neuf trois sept") or typed one by one ("8 5 2 0", an unlock pattern "1-4-7-8-9", "3 4 A 7"). A number said to
  have come by SMS is a code with no code word ("j'ai reçu 483920 par SMS"), not the sender ("le SMS
  venait du 38015"); a notoriously weak code talked about ("les gens mettent encore 123456") is not.
- **password**: after a password word ("mot de passe", "mdp", "password", "pwd", "code wifi"…), either a
  password-like token anywhere in the message ("soleil123", "P@ssw0rd"), or the word that follows "c'est",
  "est", "is", "was", ":" or "=" (a few words apart at most) when it gives rather than describes: one with
  digits, or a plain word that is quoted or ends the clause ("mon mot de passe c'est soleil", "… c'est soleil,
  c'est grave ?"), lowercase included, after fillers ("is simply butterfly"); a quoted phrase ("« ma fille est
  née en mai »"), words joined by dashes ("cheval-batterie-agrafe") or three to six plain words with no
  grammar ("girafe lampe nuage bateau"). Password words include Wi-Fi keys ("clé wifi", "clé de sécurité
  réseau", "wpa key"), abbreviations and typos ("psw", "psswd", "mot2passe"), the code for a device, secret
  and access codes, and security questions ("question secrète", "nom de jeune fille", "le nom de mon premier
  animal", "ville de naissance"), for which a ":" may come further ("…, pour la banque : Durand"), and whose
  answer may come after the question's "?" or anywhere in a message about one ("…c'est Germaine, c'est ma
  réponse secrète"); a first car, school or job is everyday talk unless the security question is named. After
  ":", "=" or a spaced dash, or after a passphrase cue ("phrase de passe", "passphrase"), a whole sentence is
  the password ("password: we all live in a yellow submarine") unless it talks (a negation, "oublié",
  "changed", a word that describes), and so are listed words with no grammar ("correct horse battery staple").
  A value in brackets ("mon mdp (nounours)"), a single quoted word ("est-ce que 'marguerite' c'est un mot de
  passe solide ?", but not a button's name nor a hint), the word closing the message after a comma (a name
  after a hint, "c'est le nom de mon chien, Oscar"; any word right after the password word, "j'ai remis
  l'ancien mot de passe, mirabelle"), a value named by how it was set ("j'ai mis soleil comme mot de passe",
  "set … to X", "je me connecte avec X"), given field by field ("SSID Maison, password X", "login … mum /
  roses") or a long number count too. Not "my password is weak", "mon mot de passe est le même partout",
  "c'est quoi", "password: forgot it", "c'est personnel", an amount ("le pass culture c'est 300€": a culture
  or travel pass is no password word). Without a password word: a message that is one password-like token
  ("hunter2", "Soleil2024!", "azerty123"), an account's name then one ("amazon - Zorro!2019", "gmail ->
  Mistral2022", unless the name is a reference: "code promo : X"), one confessed by its use ("i use Fluffy123
  for everything", "the one I use everywhere is X") or whose secrecy is asked for ("its sweetpea1 dont tell
  anyone"), a word and a number, the commonest password there is ("its rosebud1990", "OceanBreeze42", unless a
  user name is talked about: "mon pseudo c'est lea92", "PSN", "gamertag", "faux compte"), or a token anywhere
  that mixes capitals, small letters, digits and a symbol; but a notoriously bad password talked about ("is
  P@ssw0rd a bad example?", "les plus utilisés", "par défaut") is not confessed. A token is password-like when
  it mixes letters with digits or an inner symbol, unless it reads as a product, version or unit ("Windows11",
  "iPhone15Pro", "COVID-19", "RTX4090", "x86_64", "14h30", "9h-19h", catch-22), a Wi-Fi network's name as
  routers make them ("Freebox-3F2A1B"), a web address, a MAC address, an e-mail, a @mention or a #hashtag. A
  single plain word ("soleil") is not a secret on its own: it is everyday language.

Third round (issue 18): a password word after a demand ("il exige mon mot de passe pour « prouver »…", "my partner
demands my passwords", "je dois donner le code wifi…, c'est risqué ?") is what someone under coercive control
describes, so only a strong value counts after it (letters and digits, ":" / "=", a new clause: ", it was
blueberry"), never a scare-quoted word nor a question about the demand. A password spelt out counts (digits in
words with a symbol's or a letter case's name: "soleil deux mille vingt point d'exclamation"), as do "c est"
typed without its apostrophe, a quoted greeting (« bonjour »), a manager's master password ("phrase maître",
"keepass master"), a security answer after "→", "j'ai répondu" or "j'ai mis", and a Wi-Fi key after a network's
name ("SSID … clé: E6C4A2F9D1B3").

Fifth round (issue 18: each blind corpus brought kinds no rule had met, so this round wrote the kinds a stranger may
write next): other countries' numbers, by their cue (AVS/AHV, SIN/NAS, NIF, Steuer-ID, PPS, CPF, NHS, PESEL,
personnummer, codice fiscale, Aadhaar/PAN, ITIN, Medicare, residence permits…) or by their own check with no cue
(a Swiss AVS's EAN-13 digit, a Brazilian CPF's two digits, a Finnish henkilötunnus's character, an Italian codice
fiscale's letter); bank account numbers after their name; more vendors' token prefixes and webhooks (Slack, Discord,
Notion, Mailchimp, Tailscale, Atlassian…), extended, Nostr and age private keys, TOTP keys in groups; a setting whose
name says secret (".env" lines, configs, code: "DB_PASSWORD=…", "define('AUTH_KEY', '…')") unless its value is a
placeholder, a switch or a path, a password in a web address ("https://admin:…@host") or on a command line ("-p…"
with "-u"); seeds in the Spanish, Italian, Portuguese and Czech BIP-39 lists, or twelve plain words announced as one
("les 12 mots : 1. soupe 2. carton…"); PUK, authenticator, keypad, key-safe and mailbox codes, star and hash keys,
digits and a letter inside ("4B217"), digits after dots or underscores, numbers said with tens and teens ("nineteen
eighty four"); arrows of every kind read as "→", pictographs as spaces, bullets as dots, every dash as "-"; a quoted
phrase right after the password word, the answer before its cue (": Mme Perrin, c'est ma question de sécu"), a name
closing its security question ("nom de jeune fille de maman Lefort"), four words joined by dashes, a plain word after
an online account's name and "=" or an arrow ("spotify -> marmelade"; after ":" it is news: "gmail : spam"). A
password word quoted as a word ('the word "password" in French') is not a cue, and coercive control with no value
stays ordinary ("il m'oblige à changer mon mot de passe pour lui").

Seventh round (issue 18: a sixth blind corpus's false alarms were all developers' and admins' talk): what only talks
about passwords in code, configs and logs gives none. A call or a subscript is a reference ("password = input()",
'request.form["password"]'), unless it passes a password as a literal ("connect(user='app', password='…')"); a regex,
a command line's long option, another option's quoted value, a log's "sshd[2214]:", MySQL's 'user'@'host', a count and
its noun ("a 5-person shop"), admins' tools with a digit ("fail2ban", "UUIDv4"), a setting read by its value
("memory_cost=65536"), a field's own name before ":" / "=" ("user_id=1183", 'type="password"'), an empty or switched
value ('"password": ""', "using password: YES", "pass:env"), a thing named after passwords ("for password reset
links"), passwords counted ("1 mot de passe = 1 site"), rankings ("top 10 list"), a numbered quiz question. Held-out
6's missed kinds: a wallet's phrase announced, an Amex CID, GitHub's 5-hex recovery codes, a PIN said to be a birth
year, " / réponse :", a question's field filled ("first school = Jules Ferry"), a value then what it is ("…is
hydrangea, that's the wifi password"), a secret named by what it signs ("le secret JWT").

The rules err on the side of refusing in context and of letting ordinary words through alone; a
false alarm costs a friendly reminder, a miss costs a secret kept in a chat history.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from enum import StrEnum
from typing import Literal

from mnemonic import Mnemonic


class SecretKind(StrEnum):
    PASSWORD = "password"
    CODE = "code"
    CARD = "card"
    IBAN = "iban"
    PRIVATE_KEY = "private_key"
    API_TOKEN = "api_token"
    RECOVERY_PHRASE = "recovery_phrase"
    IDENTITY = "identity"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Patterns of many words start with "\b(?=\w)": a word begins there, so the alternatives are not tried where one
# ends (half the boundaries), which halves the time they take on a long message.

# --- reading the text as typed, whatever the keyboard -----------------------------------------------
# Characters that show nothing: a card number split by them reads as one to a person, so it does here.
# Every format character (Unicode category Cf, Unicode 14: zero-width spaces and joiners, direction marks, the
# soft hyphen, the BOM, tags…; tests/test_sensitive.py checks the list against the Unicode database), and the
# combining grapheme joiner, which shows nothing either.
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0001\U000e0020-\U000e007f\u034f]"
)
# Apostrophes straight, every dash "-", a bullet or a middle dot "." ("4•8•2•1" is "4.8.2.1").
_APOSTROPHES = str.maketrans("\u2019\u02bc\u2010\u2011\u2012\u2013\u2014\u2212\u2022\u00b7\u2219\u2027", "''------....")
_ODD_SPACE = re.compile(r"[^\S\n]")  # a tab, a non-breaking or narrow space… (NFKC leaves some)
# Every arrow reads as "→" ("icloud ⇒ Pomme-Verte-91", "netflix ➡️ …"), and a pictograph as a space: "wifi 📶 : …"
# is "wifi : …" to a person. (Arrows first: some are in the pictographs' blocks.)
_ARROWS = re.compile(
    "[\u2190-\u21ff\u2794-\u27af\u27f0-\u27ff\u2900-\u297f\u2b05-\u2b07\u2b95\U0001f449\U0001f846-\U0001f8ff]\ufe0f?"
)
_PICTOGRAPHS = re.compile("[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]+")
_KEYCAP = re.compile("([0-9#*])\ufe0f?\u20e3")  # "4️⃣7️⃣1️⃣9️⃣" is "4719" to a person (issue 18, sixth round)
_PICTOGRAPHS_INSIDE = re.compile("(?<=\\w)[\u2600-\u27bf\U0001f000-\U0001faff\ufe0f]+(?=\\w)")  # "Licorne💖2024"


def normalise(text: str) -> str:
    """The text as the filter reads it: NFKC (full-width digits and colons become ASCII, non-breaking and
    narrow spaces become spaces), invisible characters removed, every space a plain one, apostrophes straight,
    every arrow "→", pictographs (emoji) spaces, or nothing inside a word."""
    if not text.isascii():  # most messages are: nothing to do then but the spaces
        text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", _KEYCAP.sub(r"\1", text))).translate(_APOSTROPHES)
        text = _PICTOGRAPHS.sub(" ", _PICTOGRAPHS_INSIDE.sub("", _ARROWS.sub("→", text)))
    return _ODD_SPACE.sub(" ", text)


# --- private keys and API tokens -------------------------------------------------------------------
_KEY_FILE = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d")
_LONG_WORD = re.compile(r"\S{20,}")
_PRIVATE_KEY = re.compile(
    r"(?<![0-9A-Za-z])0x[0-9a-fA-F]{64}(?![0-9A-Za-z])"
    r"|(?<![0-9A-Za-z])[5KL][1-9A-HJ-NP-Za-km-z]{50,51}(?![0-9A-Za-z])"
    # an extended private key (BIP-32: xprv, yprv, zprv, tprv), a Nostr key, an age key
    r"|(?<![0-9A-Za-z])[xyzt]prv[1-9A-HJ-NP-Za-km-z]{100,112}(?![0-9A-Za-z])"
    r"|\bnsec1[0-9a-z]{50,64}\b|\bAGE-SECRET-KEY-1[0-9A-Z]{50,64}\b"  # bech32, as typed: any letter
)
_PRIVATE_KEY_WORDS = re.compile(r"cl[ée]s? priv[ée]es?|private keys?", re.IGNORECASE)
# 64 hex digits near "clé" / "key" is a key ("a1db…93db <- c'est ma clé"), unless it is named as a hash.
_KEY_WORD = re.compile(r"\b(?:cl[ée]s?|keys?)\b", re.IGNORECASE)
_A_HASH = re.compile(r"\b(?:hash\w*|sha-?\d*|md5|checksum|empreinte|fingerprint|commit|txid|transaction)\b", re.I)
_HEX_64 = re.compile(r"(?<![0-9A-Za-z])[0-9a-fA-F]{64}(?![0-9A-Za-z])")
# A key in base58 or base64 (Solana's 87–88 characters, a raw Bitcoin key), after "clé privée": long and random.
_ENCODED_KEY = re.compile(r"(?<![0-9A-Za-z])(?=[0-9A-Za-z+/]*\d)[0-9A-Za-z+/]{40,100}={0,2}(?![0-9A-Za-z])")

_API_TOKEN = re.compile(
    "|".join(
        (
            r"\bgh[pousr]_[A-Za-z0-9]{30,}",  # GitHub
            r"\bgithub_pat_\w{40,}",
            r"\bxox[abposr]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{20,}",  # Slack
            r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",  # AWS access key id
            r"\bAIza[\w-]{35}",  # Google
            r"\bsk-(?:proj-|ant-)?[\w-]{20,}",  # OpenAI, Anthropic
            r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe
            r"(?<![\w:])\d{8,10}:[\w-]{30,}",  # a Telegram bot token
            r"\bglpat-[\w-]{20,}",  # GitLab
            r"\bnpm_[A-Za-z0-9]{30,}",  # npm
            r"\bSG\.[\w-]{16,}\.[\w-]{16,}",  # SendGrid
            r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face
            r"\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}",  # a JSON Web Token
            r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}",  # Shopify
            r"\bpypi-AgE[\w-]{20,}",  # PyPI
            r"\bdop_v1_[a-f0-9]{64}",  # DigitalOcean
            r"\bkey-[0-9a-f]{32}\b",  # Mailgun
            r"\b[MN][A-Za-z\d]{23,25}\.[\w-]{6}\.[\w-]{27,38}",  # Discord bot token
            # issue 18, fifth round: webhooks (their address is their secret), OAuth and more vendors' prefixes
            r"hooks\.slack\.com/(?:services|workflows)/\w+/\w+/\w{16,}",  # Slack webhook
            r"discord(?:app)?\.com/api/webhooks/\d+/[\w-]{30,}",  # Discord webhook
            r"\bya29\.[\w-]{30,}",  # Google OAuth access token
            r"\b(?:secret|ntn)_[A-Za-z0-9]{40,}",  # Notion
            r"\b[0-9a-f]{32}-us\d{1,2}\b",  # Mailchimp
            r"\btskey-(?:auth|api|client|scim)?-?[\w-]{20,}",  # Tailscale
            r"\b(?:figd|gsk|sbp|glsa|glc|sntrys|lin_api|r8|pplx|xai|ops|hvs|dp\.pt)[_.-][\w-]{20,}",  # Figma, Groq…
            r"\bPMAK-[0-9a-f]{24}-[0-9a-f]{34}",  # Postman
            r"\bATATT[\w-]{40,}|\bATBB[A-Za-z0-9]{28,}",  # Atlassian, Bitbucket
            r"\bxkeysib-[0-9a-f]{64}-\w{16}",  # Brevo
            r"\bEAA[A-Za-z0-9]{30,}",  # Facebook
            r"\b(?:whsec|dckr_pat|rubygems|nfp|rnd)_[A-Za-z0-9]{20,}",  # Stripe webhooks, Docker, RubyGems, Netlify…
            r"\bNRAK-[A-Z0-9]{27}",  # New Relic
            r"\bsq0(?:atp|csp)-[\w-]{20,}",  # Square
            r"\bdapi[0-9a-f]{32}\b",  # Databricks
            r"\b(?:SK|AC)[0-9a-f]{32}\b",  # Twilio
            r"\bAccountKey=[A-Za-z0-9+/]{40,}={0,2}",  # an Azure storage connection string
        )
    )
)
_TOKEN_WORDS = re.compile(
    r"\b(?:tokens?|api[ _-]?keys?|cl[ée]s? (?:d'|de l')?api|cl[ée]s? secr[èe]tes?|secret keys?|client secret)\b"
    r"|(?<![A-Za-z0-9])secret[ _]access[ _]key"  # AWS's, in a variable's name too: aws_secret_access_key
    # issue 18, seventh round: a secret named by what it signs: "le secret JWT", "the webhook secret", "HMAC secret"
    r"|\bsecrets?\s+(?:du |de la |de l'|d'|of the |for the )?(?:jwt|hmac|webhooks?|signature|signing|session|oauth)\b"
    r"|\b(?:jwt|hmac|webhooks?|signing|session|oauth)[ _-]secrets?\b",
    re.IGNORECASE,
)
# An AWS secret access key: 40 characters of base64, slashes included.
_BASE64_SECRET = re.compile(r"(?=[A-Za-z0-9/+]*\d)(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}")
_RANDOM_WORD = re.compile(r"(?<![\w.@/])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[\w-]{20,}(?![\w@/])")

# A setting whose name says it holds a secret, and a value that is one: ".env" lines, configs, code ("DB_PASSWORD=…",
# "SMTP_PASS: …", "define('DB_PASSWORD', '…')", "psk=\"…\""); and a password inside a web address
# ("https://admin:hunter2@192.168.1.1/", "mongodb+srv://app:Velo2024@…"). Not a placeholder, a switch or a length.
_SETTING = re.compile(r"(?<![\w.$-])['\"]?([A-Za-z][\w.-]{0,60})['\"]?\s*(?:=>|[:=,])\s*['\"]?([^\s'\",;)]{4,200})")
_SECRET_NAME = re.compile(
    r"(?:^|[_.-])(?:password|passwd|pass|pwd|psk|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|"
    r"auth[_-]?key|credentials?|key)(?:$|[_.-])",
    re.IGNORECASE,
)
_SECRET_ENDING = re.compile(r"[A-Z](?:PASSWORD|PASSWD|PWD|SECRET|TOKEN)$")  # "PGPASSWORD", "GHTOKEN"
_PASSWORD_NAME = re.compile(r"pass|pwd|psk", re.IGNORECASE)
# A password on a command line: "mysql -u root -pS3cret", "docker login -u bob -p Pastis51", "curl -u admin:Brioche42";
# a user option ("-u") says it is one ("ssh -p 2222" is a port, a number alone is never read).
_COMMAND_PASSWORD = re.compile(
    r"(?<!\S)(?:-p|--password[= ]|--pass[= ]|/p:)\s?(\S{4,})|(?<!\S)(?:-u|--user)\s+[^\s:]+:(\S{4,})"
)
_USER_OPTION = re.compile(r"(?<!\S)(?:-u|-U|--user(?:name)?|/u:)(?:\s|=)")
_NOT_A_SECRET_NAME = re.compile(
    r"[_.-](?:length|len|min|max|timeout|ttl|expiry|expires|enabled|file|path|dir|name|type|mode|header|prefix|"
    r"policy|rotation|hint|reset|url|id)$",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"[<{$%\[(].*|.*[>}\])]|x{3,}|\*+|\.{3,}|\d{1,3}|(?:your|ton|ta|my|mon|ma)[\W_].*|.*[\W_](?:here|ici)|here|ici|"
    r"true|false|yes|no|on|off|none|null|nil|empty|vide|todo|tbd|changeme|change_?me|secret|password|passwd|pass|"
    r"token|example|exemple|required|optional|string|str|env|os\.\w+|process\.\w+|/.*|\./.*|~/.*",
    re.IGNORECASE,
)
# Issue 18, eighth round: a value that says it is a stand-in ("changeme-in-prod", "motdepasse-de-test", a fixture's
# "test"). A fixture's other literals ("Tulipe2019!") are still values: people paste real ones into tests.
_STAND_IN = re.compile(
    r"(?:test|tests|fake|dummy|sample|demo|bidon|changeme|change_?me|changeit|replace_?me)(?:[\W_].{0,60})?"
    r"|.{0,60}[\W_](?:test|tests|fake|dummy|example|exemple|sample|demo|bidon)(?:[\W_].{0,60})?",
    re.IGNORECASE,
)
_NAMES_ANOTHER_FIELD = re.compile(
    r"^[a-z][a-z]*(?:_[a-z]+)*_(?:id|ids|key|keys|secret|token|name|type|url|uri|file|path|hash|salt|credentials|ref)$"
)
_URL_CREDENTIALS = re.compile(r"(?<![\w+.-])[A-Za-z][\w+.-]{1,20}://[^\s/:@]*:([^\s/@]{3,})@")


def _secret_setting(text: str) -> SecretKind | None:
    for setting in _SETTING.finditer(text):
        name, value = setting.groups()
        separator = text[setting.end(1) : setting.start(2)]
        if "," in separator and not any(q in text[setting.start() : setting.start(2)] for q in "'\""):
            continue  # issue 18, seventh round: "define('X', '…')" has quotes; "ARG DB_PASS, faut…" is prose
        if _NAMES_ANOTHER_FIELD.search(value):
            continue  # issue 18, seventh round: "client_credentials : client_id public": another field's name
        secret = _SECRET_NAME.search(name) or _SECRET_ENDING.search(name)
        if not secret or _NOT_A_SECRET_NAME.search(name) or _PLACEHOLDER.fullmatch(value) or _STAND_IN.fullmatch(value):
            continue
        joined, tight = any(c in name for c in "_.-"), text[setting.end(1) : setting.end(1) + 1] == "="
        if tight and text[setting.end(1) + 1 : setting.end(1) + 2].isspace() and value.isalpha() and value.islower():
            continue  # issue 18, seventh round: "DB_PASSWORD= with nothing after it": empty, then prose
        if not (joined or tight) and not any(c.isdigit() or c in _SYMBOLS for c in value):
            continue  # "TOKEN: voir avec l'admin", "PASSWORD: demande à Paul": a word, not a value
        if joined or tight or name.isupper():  # "the key: patience", "password = first name" are prose
            return SecretKind.PASSWORD if _PASSWORD_NAME.search(name) else SecretKind.API_TOKEN
    for credentials in _URL_CREDENTIALS.finditer(text):
        if not _PLACEHOLDER.fullmatch(credentials.group(1)):
            return SecretKind.PASSWORD
    if _USER_OPTION.search(text):
        for option in _COMMAND_PASSWORD.finditer(text):
            value = option.group(1) or option.group(2)
            if not value.isdigit() and not _PLACEHOLDER.fullmatch(value):
                return SecretKind.PASSWORD
    return None


# --- recovery phrases ------------------------------------------------------------------------------
_RECOVERY_PHRASE_LENGTH = 12  # the shortest BIP-39 phrase
_WORD = re.compile(r"[^\W\d_]+")
_NUMBERING = re.compile(r"\d{1,2}[.):-]?")
_NUMBER_PREFIX = re.compile(r"^\d{1,2}[.):-](?=[^\W\d_])")


_COMBINING_MARKS = re.compile(r"[\u0300-\u036f]")


def _fold(text: str) -> str:
    """Casefold and strip accents, for comparing words whatever the keyboard."""
    folded = text.casefold()
    return folded if folded.isascii() else _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", folded))


# The English and French BIP-39 word lists, as shipped (and maintained) by `mnemonic`; loaded once.
_BIP39_WORDLISTS = tuple(
    frozenset(_fold(word) for word in Mnemonic(language).wordlist)
    for language in ("english", "french", "spanish", "italian", "portuguese", "czech")
)


# Each listed word, and the lists it is in (a bit per list).
_BIP39_LANGUAGES: dict[str, int] = {}
for _index, _wordlist in enumerate(_BIP39_WORDLISTS):
    for _listed_word in _wordlist:
        _BIP39_LANGUAGES[_listed_word] = _BIP39_LANGUAGES.get(_listed_word, 0) | 1 << _index


# Announced as one, a phrase may have a few words mistyped or misremembered: 9 of any 12 in a word list will do.
_SEED_CUE = re.compile(
    r"\b(?:seed|mnemonic|recovery phrase|phrase de (?:r[ée]cup[ée]ration|secours)|(?:12|24) (?:mots|words)|"
    r"semilla|semente|frase (?:de )?(?:recupera\w+|semilla|semente)|parole di recupero|wiederherstellungs\w*|"
    r"(?:12|24) (?:palabras|parole|palavras|w[öo]rter)|"
    r"(?:ledger|trezor|metamask|wallet|portefeuille|secret) recovery|recovery (?:words?|phrase|seed)|"
    r"recovery(?=\s*:)|"
    # issue 18, seventh round: a wallet's phrase: "phrase secrète du portefeuille :", "la phrase de mon wallet"
    r"phrases?(?: \w+){0,3} (?:portefeuille|wallet|ledger|trezor|metamask|exodus|phantom|coinbase)|"
    r"(?:wallet|portefeuille) (?:phrase|words|mots))\b",
    re.I,
)
_ANNOUNCED_PHRASE_WORDS = 9


_WORD_SEPARATORS = str.maketrans("/|", "  ")


def _is_recovery_phrase(text: str) -> bool:
    # numbering apart, alone or stuck to its word: "1. abandon", "1-witch"
    tokens = _fold(text).translate(_WORD_SEPARATORS).split()  # issue 18, eighth round: "hollow / sting / remind"
    if len(tokens) < _RECOVERY_PHRASE_LENGTH:
        return False
    tokens = [_NUMBER_PREFIX.sub("", t) for t in tokens if not _NUMBERING.fullmatch(t)]
    if len(tokens) < _RECOVERY_PHRASE_LENGTH:
        return False
    words = ["".join(_WORD.findall(t)) for t in tokens]
    announced = _SEED_CUE.search(text) is not None
    if announced and _plain_words_run(tokens, words) >= _RECOVERY_PHRASE_LENGTH:
        return True  # "les 12 mots de mon portefeuille : 1. soupe 2. carton…", in any word list or none
    needed = _ANNOUNCED_PHRASE_WORDS if announced else _RECOVERY_PHRASE_LENGTH
    in_lists = [_BIP39_LANGUAGES.get(word, 0) for word in words]  # one look-up per word, whatever the lists
    for language in range(len(_BIP39_WORDLISTS)):
        listed = [bool(mask >> language & 1) for mask in in_lists]
        if sum(listed) < needed:
            continue  # most messages: a few listed words at most
        run = in_window = 0
        for position, is_listed in enumerate(listed):
            run = run + 1 if is_listed else 0
            left = position >= _RECOVERY_PHRASE_LENGTH and listed[position - _RECOVERY_PHRASE_LENGTH]
            in_window += is_listed - left
            if run >= _RECOVERY_PHRASE_LENGTH or (position >= _RECOVERY_PHRASE_LENGTH - 1 and in_window >= needed):
                return True
    return False


def _plain_words_run(tokens: list[str], words: list[str]) -> int:
    """The longest run of plain words with no grammar between them (numbering and commas aside)."""
    longest = run = 0
    for token, word in zip(tokens, words, strict=True):
        plain = token.strip(",;.") == word and len(word) >= 3 and word not in _GRAMMAR
        run = run + 1 if plain else 0
        longest = max(longest, run)
    return longest


# --- IBANs -----------------------------------------------------------------------------------------
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}[A-Za-z0-9]*")


def _mod97_valid(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


# A bank account's number after its name, in any country's form: "numéro de compte bancaire 00012345678", "sort code
# and account number: 20-00-00 12345678", "account number 1234567890". (A routing number alone is public.)
_ACCOUNT_NUMBER = re.compile(
    r"\b(?:num[ée]ro de compte(?: bancaire)?|n° de compte|compte bancaire|account (?:number|no)|acct (?:number|no)|"
    r"sort code|(?-i:RIB|BSB))\b[^\d\n]{0,40}?(?<![\w.,/-])(\d[\d -]{6,30}\d)(?![\w/]|[.,]\d)",
    re.IGNORECASE,
)
_ACCOUNT_DIGITS = 8


_PHONE_SHAPE = re.compile(r"(?:1-)?\d{3}-\d{3}-\d{4}")  # "1-800-555-0199": a phone line, not an account


def _has_account_number(text: str) -> bool:
    return any(
        len(re.sub(r"\D", "", m.group(1))) >= _ACCOUNT_DIGITS and not _PHONE_SHAPE.fullmatch(m.group(1))
        for m in _ACCOUNT_NUMBER.finditer(text)
    )


_IBAN_GROUP = re.compile(r"[^\s-]+")  # groups split by spaces or dashes: "BE09-0311-1307-5178" (issue 18, sixth round)


def _has_iban(text: str) -> bool:
    """An IBAN, written in one piece or in groups: every prefix ending on a group is tried."""
    for start in _IBAN_START.finditer(text):
        candidate = ""
        for piece in _IBAN_GROUP.finditer(text, start.start()):  # lazily: a long text is not split per start
            group = piece.group()
            if not group.isalnum() or not group.isascii():
                group = re.split(r"[^A-Za-z0-9]", group)[0]
                if not group:
                    break
            if candidate and group.isalpha() and group.islower() and not start.group().islower():
                break  # a word, not a group: "mon vol AF1234 est le 23…" (IBANs are typed in one case)
            candidate += group.upper()
            if len(candidate) > 34:
                break
            if len(candidate) >= 15 and _mod97_valid(candidate):
                return True
    return False


# --- identity numbers ------------------------------------------------------------------------------
# A French social-security number (NIR): sex, year, month, département (2A/2B for Corsica), commune,
# order, then a key that makes it checkable (97 - the first 13 digits mod 97), so it is found without a cue.
_NIR = re.compile(r"(?<![\w-])([12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3}) ?(\d{2})(?![\w-])", re.IGNORECASE)
_IDENTITY_WORDS = re.compile(
    r"\b(?=\w)(?:s[ée]cu(?:rit[ée] sociale)?|nir|carte vitale|social security|ssn|passeports?|passports?|"
    r"carte d'identit[ée]|cni|identity card|id card|permis de conduire|driver'?s licen[cs]e|insee|"
    r"national insurance|ni (?:number|no)|nino|insurance number|num[ée]ro fiscal|n° fiscal|tax (?:id|number)|"
    r"identifiant fiscal|num[ée]ro d'identification fiscale|spi|(?:num[ée]ro|n°) de permis|permis n°|"
    r"licen[cs]e (?:number|no)|social insurance|(?-i:SIN)|num[ée]ro national|national number|registre national|"
    r"dni|(?-i:NIE)|documento nacional|rijksregister\w*|burgerservicenummer|(?-i:BSN)|sofi-?nummer|"
    r"num[ée]ro de registre national|identiteitskaart|paspoort|"
    # other countries' (issue 18, fifth round): Swiss AVS/AHV, Canadian SIN/NAS, Portuguese NIF, German Steuer-ID,
    # Irish PPS, Brazilian CPF, British NHS, Polish PESEL, Nordic personal numbers, Italian codice fiscale, Indian
    # Aadhaar/PAN, US ITIN/EIN, Australian TFN, Belgian NISS, Mexican CURP; residence permits; IDs in other tongues
    r"avs|ahv|assurance sociale|(?-i:NAS)|nif|contribuinte|steuer-?id|steuer(?:identifikations)?nummer|"
    r"sozialversicherungs\w*|sv-?nummer|ppsn?|cpf|nhs (?:number|no)|pesel|personnummer|henkil[öo]tunnus|hetu|"
    r"f[øo]dselsnummer|(?-i:CPR)|codice fiscale|code fiscal|(?-i:CF)|aadhaa?r|(?-i:PAN)|itin|(?-i:EIN)|"
    r"tax file number|(?-i:TFN)|medicare|niss|(?-i:CIN)|insz|curp|c[ée]dula|seguridad social|(?-i:NSS)|"
    r"(?:titre|carte|permis) de s[ée]jour|residence (?:permit|card)|green card|num[ée]ro (?:d')?[ée]tranger|"
    r"personalausweis\w*|ausweis\w*|reisepass\w*|pasaportes?|passaport[oe]s?|carta d'identit[àa]|"
    r"national id|identification number|identity number|num[ée]ro d'identit[ée]|pi[èe]ce d'identit[ée])\b",
    re.IGNORECASE,
)
# Digits and capitals in one piece or in groups (09 12 345 678, 12AB34567, 123-45-6789).
_ID_NUMBER = re.compile(r"(?<![\w/.,:+-])[A-Z]{0,6}\d(?:[\dA-Z-]|\.\d)*(?: \d[\d-]*)*(?![\w/]|[.,]\d)")
# Numbers whose shape alone names them, cue or not: a US social-security number with its dashes (the
# area never 000, 666 or 9xx), a UK National Insurance number (two letters from the allowed ones, six
# digits, a suffix A-D: any two letters, as HMRC's own example is QQ 12 34 56 C), in one piece or in pairs.
_SHAPED_ID = re.compile(
    r"(?<![\w-])(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])"
    r"|(?<![\w-])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])"
)
_ID_MIN_DIGITS = 6  # fewer is a year, a price, an age: "mon passeport expire en 2027"
# A Spanish DNI (8 digits) or NIE (X, Y or Z and 7 digits) and its check letter, the number mod 23: checked, cue or not.
_SPANISH_ID = re.compile(r"(?<![\w-])([XYZ]?)(\d{7,8})-?([A-Z])(?![\w-])")
_SPANISH_ID_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_NIE_PREFIX = {"": "", "X": "0", "Y": "1", "Z": "2"}
# The French identity card since 2021: nine letters and digits (no vowel O), after an identity word.
_NEW_ID_CARD = re.compile(r"(?<![\w-])(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{9}(?![\w-])")


# A Belgian national number: birth date, order, then 97 - (the first nine digits mod 97), with "2" in front of
# them for people born since 2000; written "85.07.30-033.28": checkable, so found without a cue.
_BELGIAN_NUMBER = re.compile(r"(?<![\w.-])(\d{2}\.?\d{2}\.?\d{2}-?\d{3}\.?)(\d{2})(?![\w-]|[.,]\d)")
# The 2021 French card's nine characters can all be capitals: a random draw has few vowels, a word has many.
_CAPITALS_ID = re.compile(r"(?<![\w-])[A-Z]{9}(?![\w-])")
_MOST_VOWELS_IN_AN_ID = 2


# Other countries' numbers that carry their own check, found without a cue (one chance in ten or less for a random
# number of that shape to pass, and the shape itself is rare): a Swiss AVS/AHV number (756, then an EAN-13 check
# digit), a Brazilian CPF written with its dots and dash (two mod-11 digits), a Finnish henkilötunnus (birth date,
# century sign, then a check character, the number mod 31), an Italian codice fiscale (a check letter over its 15
# characters). An Indian PAN (five letters, four digits, a letter) needs its cue.
_SWISS_AVS = re.compile(r"(?<![\w.-])756([. ]?)\d{4}\1\d{4}\1\d{2}(?![\w-]|[.,]\d)")
_BRAZILIAN_CPF = re.compile(r"(?<![\w.-])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\w-]|[.,]\d)")
_FINNISH_ID = re.compile(r"(?<![\w-])([0-3]\d[01]\d\d{2})[-+A]([0-9]{3})([0-9A-Y])(?![\w-])")
_FINNISH_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_ITALIAN_FISCAL_CODE = re.compile(r"(?<![\w-])[A-Z]{6}\d{2}[A-EHLMPR-T]\d{2}[A-Z]\d{3}[A-Z](?![\w-])")
_ITALIAN_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        (1, 0, 5, 7, 9, 13, 15, 17, 19, 21) * 2 + (2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23),
        strict=True,
    )
)
_INDIAN_PAN = re.compile(r"(?<![\w-])[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z](?![\w-])")


def _ean13_valid(digits: str) -> bool:
    return sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(digits)) % 10 == 0


def _cpf_valid(digits: str) -> bool:
    if len(set(digits)) == 1:
        return False  # "000.000.000-00", an example
    for length in (9, 10):
        remainder = sum(int(c) * (length + 1 - i) for i, c in enumerate(digits[:length])) * 10 % 11
        if remainder % 10 != int(digits[length]):
            return False
    return True


def _italian_fiscal_code_valid(code: str) -> bool:
    total = sum(
        _ITALIAN_ODD[c] if i % 2 == 0 else int(c, 36) - (10 if c.isalpha() else 0) for i, c in enumerate(code[:15])
    )
    return chr(ord("A") + total % 26) == code[15]


def _has_checked_foreign_id(text: str) -> bool:
    if any(_ean13_valid(re.sub(r"\D", "", m.group())) for m in _SWISS_AVS.finditer(text)):
        return True
    if any(_cpf_valid(re.sub(r"\D", "", m.group())) for m in _BRAZILIAN_CPF.finditer(text)):
        return True
    if any(_FINNISH_CHECK[int(m.group(1) + m.group(2)) % 31] == m.group(3) for m in _FINNISH_ID.finditer(text)):
        return True
    return any(_italian_fiscal_code_valid(m.group()) for m in _ITALIAN_FISCAL_CODE.finditer(text))


def _belgian_number_valid(match: re.Match[str], cued: bool) -> bool:
    first, key = re.sub(r"\D", "", match.group(1)), int(match.group(2))
    punctuated = not match.group().isdigit()  # bare eleven digits need a cue: 1 in 97 of any number passes
    return (punctuated or cued) and key in (97 - int(first) % 97, 97 - int("2" + first) % 97)


_BELGIAN_CUE = re.compile(r"(?<![\w-])NN(?![\w-])")  # Belgians' own short name for it: "NN 52081783495"


def _nir_valid(digits: str, key: str) -> bool:
    number = digits.upper().replace(" ", "").replace("2A", "19").replace("2B", "18")
    return 97 - int(number) % 97 == int(key)


def _spanish_id_valid(match: re.Match[str]) -> bool:
    prefix, digits, letter = match.groups()
    if len(prefix) + len(digits) != 8:
        return False
    return _SPANISH_ID_LETTERS[int(_NIE_PREFIX[prefix] + digits) % 23] == letter


def _has_identity_number(text: str) -> bool:
    if any(_nir_valid(m.group(1), m.group(2)) for m in _NIR.finditer(text)) or _SHAPED_ID.search(text):
        return True
    if any(_spanish_id_valid(m) for m in _SPANISH_ID.finditer(text)):
        return True  # "mi DNI es 48273915C": one chance in 23 for any 8 digits and a letter
    cued = _BELGIAN_CUE.search(text) is not None
    if any(_belgian_number_valid(m, cued) for m in _BELGIAN_NUMBER.finditer(text)):
        return True
    if _THREE_DIGITS.search(text) and _has_checked_foreign_id(text):  # each has three digits in a row
        return True
    if not _IDENTITY_WORDS.search(text):
        return False
    if _INDIAN_PAN.search(text):
        return True  # "PAN card ABCPE1234F"
    if any(_class_changes(m.group()) >= 3 for m in _NEW_ID_CARD.finditer(text)):
        return True  # "carte d'identité n° X4RTBPFW4": letters and digits mixed, not a product name
    if any(sum(c in "AEIOUY" for c in m.group()) <= _MOST_VOWELS_IN_AN_ID for m in _CAPITALS_ID.finditer(text)):
        return True  # "nouvelle CNI numéro BKCNRHKEM", not "CNI IMPORTANT"
    for match in _ID_NUMBER.finditer(text):
        value = match.group()
        digits = re.sub(r"\D", "", value)
        if value.startswith("0") and len(digits) == 10 and " " in value:
            continue  # a French phone number, spaced: "le 0 800 130 000 c'est la sécu ?"
        if len(digits) >= _ID_MIN_DIGITS and len(value) <= 24:
            return True
    return False


# --- cards -----------------------------------------------------------------------------------------
_CARD = re.compile(
    # groups of four split by any of the separators, mixed too ("4532-0151 4533-3149"): the Luhn check decides
    r"(?<![\d,.])(?:\d{13,19}|\d{4}(?:[ ./_-]\d{4}){2,3}(?:[ ./_-]\d{1,4})?|\d{4}[ -]\d{6}[ -]\d{4,5})"
    r"(?!\d|[.,]\d)"
)
_NOT_A_CARD = re.compile(r"\b(?:imei|siret|siren|s[ée]cu(?:rit[ée] sociale)?|isbn|ean)\b", re.IGNORECASE)
# Digits said in words: "cinq deux sept", "quatre cent dix", "five hundred nineteen".
_DIGIT_WORD = (
    r"(?:z[ée]ro|un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|zero|oh|one|two|three|four|five|six|seven|eight|nine)"
)
_SPELLED_NUMBER = (
    rf"(?:{_DIGIT_WORD}[ ,-]+){{2,}}{_DIGIT_WORD}\b"  # three digits or more, one by one
    rf"|(?:{_DIGIT_WORD} )?cents? [a-zé-]+|{_DIGIT_WORD} hundred\b"  # a number of hundreds
)
_CARD_SECURITY_CODE = re.compile(
    r"\b(?=\w)(?:cvv2?|cvc2?|ccv|cryptogramme(?: visuel)?|code de s[ée]curit[ée] (?:de|sur) (?:ma|la) (?:carte|cb)|"
    r"security code (?:on|of) (?:my|the) card|card(?:'s)? security code|"
    r"(?:chiffres|digits|num[ée]ros?|numbers|code|s[ée]curit[ée]|security)\s+"
    r"(?:derri[èe]re|au dos|au verso|du dos|du verso|on the back|"
    r"at the back)|"
    r"(?:derri[èe]re|au dos de|au verso de|on the back of|at the back of) (?:ma|la|my|the) (?:carte|cb|card))\b"
    rf".{{0,30}}?(?:(?<!\d)(?:\d{{3,4}}|\d \d \d(?: \d)?)(?!\d)|\b(?:{_SPELLED_NUMBER}))"
    r"|\bcrypto(?: visuel)?\s*:?\s*\d{3}\b"  # "crypto 392": the cryptogram, not a cryptocurrency amount
    r"|(?<![\w-])(?:\d{3,4}|\d \d \d(?: \d)?)(?!\d)\D{0,12}?"  # not "model A2846 on the back"
    r"(?:on the back|at the back|au dos|derri[èe]re (?:la|ma) (?:carte|cb))",
    re.IGNORECASE,
)
# Issue 18, eighth round: the phone number printed on the back of a card is to call, no code: "j'ai rappelé le numéro
# officiel au dos de la carte, 3639".
_NUMBER_ON_THE_BACK = re.compile(
    r"\b(?:num[ée]ro|number)\s+(?:[\w']+\s+){0,2}?(?:au dos|au verso|derri[èe]re|on the back|at the back)\b", re.I
)
_SPELLED_CODE = re.compile(rf"\b(?=\w)(?:{_SPELLED_NUMBER})", re.IGNORECASE)
# Tens and teens too, three number words or more: "nineteen eighty four", "dix-neuf quatre-vingt-quatre", "twenty-one
# seventeen"; not a count ("twenty five characters", "trente-cinq minutes").
_NUMBER_WORD = (
    r"(?:z[ée]ro|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingts?|"
    r"trente|quarante|cinquante|soixante|cents?|mille|zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|"
    r"seventy|eighty|ninety|hundred|thousand)"
)
_NUMBER_IN_WORDS = re.compile(
    rf"\b(?=\w){_NUMBER_WORD}(?:(?:[ ,-]+(?:et|and))?[ ,-]+{_NUMBER_WORD}){{2,11}}\b"  # "vingt et un" is two
    r"(?!\s+(?:chiffres|digits|caract[èe]res|characters|lettres|letters|ans|years|minutes|heures|hours|jours|days|"
    r"secondes|seconds|fois|times|euros?|dollars?)\b)",
    re.IGNORECASE,
)


# Issue 18, seventh round: American Express calls the four digits on its front the CID ("Amex CID 4417", "the 4 digit
# CID on the front of my amex is 7712"): four digits a few words after "CID", in a message that names the card.
_AMEX_CID = re.compile(r"\b(?-i:CID)\b(?:\W+\w+){0,8}?\W+(?<![\d-])\d{4}(?![\d-])", re.IGNORECASE)
_AMEX = re.compile(r"\b(?:amex|american express)\b", re.IGNORECASE)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _has_card(text: str) -> bool:
    if _NOT_A_CARD.search(text):
        return False
    for match in _CARD.finditer(text):
        groups = re.split(r"[ ./_-]", match.group())
        for end in range(len(groups), 0, -1):  # "5288 3416 2075 6296 10/27": the "10" is the expiry month
            digits = "".join(groups[:end])
            if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
                return True
    return False


# --- codes -----------------------------------------------------------------------------------------
# "Code" in collocations that are not secrets is removed before looking for a code word.
_NOT_A_SECRET_CODE = re.compile(
    r"(?:\b(?:zip|error|area|source|promo|discount|dress|qr|bar|country|postal|erreur|status)\s+codes?\b"
    r"|\bcodes?\s+(?:postal|promo\w*|source|de la route|qr|barres?|-barres?|civil|p[ée]nal|du travail|d'erreur|"
    r"erreur|error|html|python|css|couleur|vestimentaire|ape|naf|article|produit|client|de la s[ée]cu|iso|ean|"
    r"exp[ée]diteur|court|(?:de )?r[ée]duction|(?:de )?parrainage|(?:d')?invitation|(?:de )?remise|avantage)\b"
    r"|\b(?:sender|short|referral|invite|invitation|coupon|voucher) codes?\b)"
    # issue 18, seventh round: and the number that collocation gives ("le code postal c'est 75011 et le code du
    # bâtiment on l'aura sur place": 75011 is no code of the building's)
    r"(?:\s*(?::|=|c'est|est|is)?\s*(?<![\w-])\d{2,10}(?![\w-]))?",
    re.IGNORECASE,
)
_CODE_WORD = re.compile(
    r"\b(?=\w)(?:codes?|pin|puk|otp|passcode|digicode|2fa|a2f|mfa|verify|v[ée]rifi(?:er|cation)|validation|confirmation|"
    # an authenticator's code, a keypad's: "my authenticator shows 128 554", "garage keypad 4417"
    r"authenticator|authentificat\w*|authy|key ?pad|clavier|"
    # the phone's PIN: "pour déverrouiller je tape 1470", "pour ouvrir mon téléphone je fais 9517"
    r"d[ée]verrouill\w*|d[ée]bloqu\w*|unlock\w*|sch[ée]ma|screen ?lock|lock ?screen|"
    r"(?:mon|my|his|her|son|phone|unlock) pattern|"
    r"je tape|j'ai tap[ée]|je compose|i type|i typed|me type|me taper|"
    r"(?:ouvrir|open) (?:mon|ma|le|la|l'|my|the) ?(?:t[ée]l[ée]phone|portable|iphone|ipad|tablette|phone|tablet|"
    r"ordi(?:nateur)?|pc|mac|laptop|computer|appli|app|coffre|safe))\b",
    re.IGNORECASE,
)
# A code of letters and digits, given right after a code word: "code: 8KD3Q", "le code c'est R2D2-C3PO".
_LETTERS_AND_DIGITS_CODE = re.compile(
    r"\b(?:(?:digi)?codes?|pin|otp|passcode)\b(?!\s+(?:du |de la |de mon )?wi-?fi)"
    r"(?:\s+[^\s:=]+){0,8}?\s*(?::|=|c'est|est|is)\s*"  # "le code de la porte d'entrée de l'immeuble : 2B47A"
    r"((?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9]{1,8}(?:-[A-Za-z0-9]{1,8}){0,3})(?![\w-])",
    re.IGNORECASE,
)
# A one-time code said by how it came, with no code word: "j'ai reçu 483920 par SMS", "he texted me 5521 09".
_RECEIVED_CODE = re.compile(
    r"\b(?:re[çc]u|received|got|sent(?: me)?|texted me|envoy[ée]|m'a donn[ée]|gave me|m'a text[ée])\s+(?:le |the )?"
    # the number ends the clause, or leads to how it came; a noun after it counts things ("reçu 4500 likes")
    r"(?<![\d,.])\d{3,4}[ -]?\d{2,4}(?!\d|[,.]\d)"
    r"(?=\s*(?:$|[,.;:!?)]|(?:par|by|via|de|from|du|sur|on|in|au|à|et|and|je|j'|i|il|he|she|elle|mais|but)\b))"
    r"|(?<![\d,.])\d{3,4}[ -]?\d{2,4}\s+(?:par|by|via|en|in an?|dans (?:un|le)) ?"
    r"(?:sms|texto|text|message|mail|e-mail|whatsapp)\b",
    re.IGNORECASE,
)
# A code everybody knows to be bad, talked about: "les gens mettent encore 123456 comme code".
_RUNS_OF_DIGITS = sorted(
    {run[start:end] for run in ("0123456789", "9876543210") for start in range(7) for end in range(start + 4, 11)},
    key=len,
    reverse=True,
)  # "1234", "4321", "6789"…
_WEAK_CODE = re.compile(rf"(\d)\1{{3,7}}|{'|'.join(_RUNS_OF_DIGITS)}|(\d{{2,3}})\2{{1,3}}")  # … "123123", "121212"
# Without ":" or "c'est", only a code that mixes letters and digits through it: "code portail 1A2B3", not a promo
# code ("use code SAVE15").
_UNFRAMED_CODE = re.compile(r"\b(?:(?:digi)?codes?|pin)((?:\s+[^\s:=]+){1,3})", re.IGNORECASE)
_CODE_OF_LETTERS_AND_DIGITS = re.compile(r"[A-Za-z0-9]{4,8}")
# a code typed key by key; issue 18, eighth round: a comma or a full stop may close it ("contrôle parental : 2 0 6 5,")
_SPACED_CHARACTERS = re.compile(r"(?<!\S)(?:[0-9A-Z] ){3,7}[0-9A-Z](?![^\s,.;!?])")
_DEFAULT = re.compile(r"\bpar d[ée]faut\b|\bdefault\b|\bd'usine\b|\bfactory\b", re.IGNORECASE)
_DIGIT_GROUP = re.compile(
    r"(?<![\d\w.,/€$£-])(?<!\d:)(?:\d{2,8}(?:[ -]\d{2,4}){0,3}|\d(?:(?:[ -]| - )\d){3,8}|\d(?:\.\d){3,7}|"
    r"\d{2}(?:\.\d{2}){2,3}|\d{2,4}(?:_\d{2,4}){1,3})"
    # digits one by one too, after dots or a spaced dash, and pairs after dots or underscores: "4.8.2.1",
    # "5 5 3 - 9 1 0", "48.21.93" (not a date: "14.06.98"), "48_21_93"
    r"(?![\d\w/:€$£%]|[.,]\d)"
)
_YEAR_AFTER = re.compile(r"\b(?:en|in|depuis|since|année|year|de|of|du|le|from)\s*$", re.IGNORECASE)
_GOOGLE_CODE = re.compile(r"\bG-\d{6}\b")
_LONE_DIGITS = re.compile(r"\d{2,8}(?:[ -]\d{2,4}){0,3}|\d{2}(?:[ .-]?\d{2}){4}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}[.-]\d{2}[.-]\d{2,4}")
_POSTAL_CODE = re.compile(r"(?:0[1-9]|[1-8]\d|9[0-5]|97|98)\d{3}")


def _is_a_date(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 3 and 1 <= int(parts[0]) <= 31 and 1 <= int(parts[1]) <= 12


def _year(digits: str) -> bool:
    return len(digits) == 4 and 1900 <= int(digits) <= 2099


def _lone_number_is_code(text: str, expects_number: bool) -> bool:
    digits = re.sub(r"\D", "", text)
    if expects_number or not 4 <= len(digits) <= 8:
        return False
    if len(digits) == len(text):
        if len(digits) == 4 and 1900 <= int(digits) <= 2099:
            return False  # a year
        if len(digits) == 5 and _POSTAL_CODE.fullmatch(digits):
            return False  # a postal code
    return True


# A BitLocker recovery key: eight groups of six digits, each a multiple of 11 (Microsoft's own check).
_BITLOCKER_KEY = re.compile(r"(?<![\d-])\d{6}([- ])\d{6}(?:\1\d{6}){6}(?![\d-])")  # dashes or spaces between
# Other recovery keys come in dashed groups of letters and digits (Apple's "RK-…", a Mac's FileVault key),
# after a recovery word.
_RECOVERY_WORD = re.compile(r"r[ée]cup[ée]ration|recovery|secours|backup|filevault|bitlocker", re.IGNORECASE)
_GROUPED_KEY = re.compile(
    # issue 18, sixth round: backup codes of three groups, listed: "8f2k-9qwe-l4mz / 2nvb-7xcd-0pao"
    r"(?<![\w-])(?=[\w-]*\d)[A-Za-z0-9]{4,5}(?:-[A-Za-z0-9]{4,5}){2}[\s/,;|]+[A-Za-z0-9]{4,5}(?:-[A-Za-z0-9]{4,5}){2}(?![\w-])|"
    r"(?<![\w-])(?:(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9]{2,6}(?:-[A-Za-z0-9]{4,6}){3,9}|\d{6}(?:-\d{6}){5,7})(?![\w-])"
)
# A padlock's or a safe's combination has three digits: given after ":" / "c'est", or typed one by one.
_LOCK_CODE = re.compile(
    r"\b(?:cadenas|padlock|combo|combinaisons?|combinations?|antivol|coffre(?:-fort)?|safe|casier|locker|lockbox|"
    r"key ?safe|key ?box|bo[iî]tes? (?:à|a) cl[ée]s?|bo[iî]tiers? (?:à|a) cl[ée]s?|bo[iî]tes? aux lettres|"
    r"mailbox|letterbox|gate|portail|portillon)\b"
    r"(?!\s+(?:number|num[ée]ro|n°))"  # issue 18, eighth round: "the locker number is 214" is no combination
    # a dial's numbers too: "27 left 14 right 33"
    r"(?:[^\d\n:=]{0,40}?(?:[:=]|\bc'est|\best|\bis)\s*(?:(?:left|right|gauche|droite)\s*)?"  # "is left 12, right 34…"
    r"(?:\d{3,4}|\d{1,2}(?:\D{1,8}?\d{1,2}){2,5})"
    r"|[^\d\n]{0,40}?(?<![\w,.-])(?:\d(?:[ -]\d){2,3}|\d{1,2}(?:-\d{1,2}){2,3})"  # "safe combo 12-34-56"
    # issue 18, eighth round: its count of numbers first: "key safe at mum's, 3 numbers: 9 1 4"
    r"|[^\d\n]{0,40}?\b[34] (?:numbers|chiffres|digits|num[ée]ros)\s*[:=]\s*\d(?:[ -]?\d){2,3})"
    # issue 18, eighth round: a comma may follow it ("the keybox is 4471, I put it…"), not a decimal ("1,5")
    r"(?!\d|[,.]\d|\s?(?:chiffres|digits|€|euros?|ans|years|cm|kg)\b)",
    re.IGNORECASE,
)


# An unlock pattern described: "mon schéma c'est un Z en partant d'en haut", "my pattern is an L: top left…".
_PATTERN_SHAPE = re.compile(
    r"(?:\bsch[ée]ma|\b(?:unlock|lock ?screen|phone|my|his|her|their|your) pattern)\b"
    r"[^\n]{0,40}?(?:\bc'est|\best|\bis|[:=])\s+(?:un |une |a |an )?(?:big |grand |small |petit )?"
    r"(?:(?-i:[A-Z])(?![\w'])|carr[ée]|square|zigzag|croix|cross|triangle|cercle|circle|[ée]toile|star)",
    re.IGNORECASE,
)
# A gate's code of digits and one letter, a few words after the code word: "code du portillon chez ma mère 2580B".
_CODE_WITH_A_LETTER = re.compile(
    r"(?i:\b(?:(?:digi)?codes?|pin)\b)[^\d\n]{0,60}?(?<![\w-])"
    # not an A320; "4B217", "7C302", "48 B 19"
    r"(?:\d{3,6}[A-Z]|[A-Z]\d{4,6}|\d{1,4}[A-Z]\d{2,4}|\d{1,3} [A-Z] \d{1,3})(?![\w-])"
)
# A PIN that is a birth year: "my bank card pin is my birth year 1987" (a year is otherwise not a code).
_BIRTH_YEAR = re.compile(
    r"\b(?:birth ?year|year of birth|year i was born|ann[ée]e de naissance|n[ée]e? en)\s*,?\s*(?:19|20)\d{2}\b"
    # issue 18, seventh round: the year first, then what year it is: "c'est le 1964, mon année de naissance"
    r"|(?<![\d,.])(?:19|20)\d{2}\s*[,:(-]?\s*(?:c'est |that's |it's |soit )?"
    r"(?:mon |ma |my |l'|the |son |sa |her |his )?(?:ann[ée]e de (?:sa |ma |mon |son )?(?:naissance|mariage)|"
    r"birth ?year|year of (?:my |her |his )?(?:birth|wedding)|"
    r"year (?:i|she|he|we|they) (?:was |were |got )?(?:born|married))",
    re.IGNORECASE,
)
_BIRTH_YEAR_WORDS = re.compile(r"\b(?:birth ?year|year of birth|ann[ée]e de naissance|n[ée]e? en|born in)\b", re.I)
# A code received by text from a named sender: "un texto Doctolib avec 5 chiffres 62219", "a text from Revolut: 552
# 019"; not the sender's own number ("le SMS venait du 38015") nor a time, a year or an amount.
_TEXTED_CODE = re.compile(
    r"\b(?:sms|textos?|texts?|messages?)\b(?:(?!num[ée]ro|number|court|short|package|colis|parcel|order|commande)"
    r"[^\d\n]){0,40}?(?:\d (?:chiffres|digits)\W{0,3})?(?<!\bdu )(?<!\bde )(?<!\bfrom )(?<!\bau )(?<!\bto )"
    r"(?<!\bnum[ée]ro )(?<!\bnumber )(?<!\ben )(?<!\bin )(?<!\bà )(?<!\bat )(?<!\bsince )(?<!\bdepuis )"
    r"(?<![\w€$£.,:/-])(\d{3} \d{3}|\d{4,8})(?![\w€$£%:/-]|[.,]\d| ?(?:h|min|ans|years|€|euros?)\b| \d)",
    re.IGNORECASE,
)


_THREE_DIGITS = re.compile(r"\d{3}")
# A keypad's code with its star or hash keys inside, after a code word: "door code 24#19".
_KEYPAD_CODE = re.compile(r"(?<![\w#*])[#*]?\d{1,6}[#*]\d{1,6}[#*]?(?![\w#*])")
_PLURAL_CODES = re.compile(r"\b(?:codes|pins|passcodes)\b", re.IGNORECASE)


# Issue 18, seventh round: GitHub's recovery codes, five hex characters, a dash, five more ("a3f9c-2e17b"), after a
# recovery word; letters and digits mixed, so that "12345-67890" (a range) is not one.
_HEX_PAIR_CODE = re.compile(r"(?<![\w-])(?=[0-9a-f-]*\d)(?=[0-9a-f-]*[a-f])[0-9a-f]{5}-[0-9a-f]{5}(?![\w-])")


def _has_recovery_key(text: str) -> bool:
    for match in _BITLOCKER_KEY.finditer(text):
        if all(int(group) % 11 == 0 for group in re.split(r"[- ]", match.group())):
            return True
    if _RECOVERY_WORD.search(text) is None:
        return False
    return _GROUPED_KEY.search(text) is not None or _HEX_PAIR_CODE.search(text) is not None


# A TOTP secret (base32, in groups of four as apps show it) after a 2FA or a key word: "clé 2FA : JBSW Y3DP EHPK 3PXP".
_TOTP_SECRET = re.compile(r"(?<![\w-])[A-Z2-7]{4}(?: [A-Z2-7]{4}){3,15}(?![\w-])")
_TOTP_WORDS = re.compile(r"\b(?:2fa|a2f|mfa|totp|otp|authenticator|authentificat\w*|cl[ée]s?|keys?|secret)\b", re.I)


# Issue 18, sixth round: a device's error code ("la box affiche … le code 2305", "my printer says code 5100") and
# a short-code sender named as one ("le 20525 m'envoie des codes", "un code du 38015", "c'est quoi ce code « 33700 »
# ?"): five digits, as operators' short numbers are, asked about or sending; both are removed before reading codes.
_SHOWS_OR_SENDS = re.compile(
    r"\b(?:box|livebox|freebox|bbox|modem|routeur|router|imprimante|printer|d[ée]codeur|decoder|chaudi[èe]re|boiler|"
    r"lave-linge|lave-vaisselle|washing machine|dishwasher|tv|t[ée]l[ée]|console|voiture|car)\b[^.?!\n]{0,40}?"
    r"\b(?:affiche|affichait|indique|shows?|showing|displays?|says|dit)\b[^.?!\n]{0,30}?\b(?:codes?|erreur|error)\b"
    r"|(?<![\d,.])\d{5}(?!\d)(?=\s+(?:m'envoie|m'a envoy[ée]|m'[ée]crit|m'a [ée]crit|me spamme|me harc[eè]le|"
    r"keeps? (?:texting|sending)|is texting|texts? me|texting me|sent me|sends? me))"
    r"|\b(?:du|from|by|de la part du|par le|num[ée]ro)\s+\d{5}(?!\d)"
    r"|\b(?:c'est quoi|c'est qui|qui est|what(?:'s| is)|who(?:'s| is))\s+(?:ce |cet |le |this |the )?"
    r"(?:(?:code|num[ée]ro|number|sender|exp[ée]diteur)\W{0,8})?\d{5}(?!\d)(?=[^?]{0,40}\?)",
    re.IGNORECASE,
)


# Issue 18, sixth round: a code read out as its announced count of digits: "read out the 6 digits: 8 0 4 6 1 3".
_COUNTED_DIGITS = re.compile(
    r"(?<!last )(?<!first )\b([4-8]) (?:digits|chiffres)(?! (?:derniers|premiers))"
    r"\s*[:=]\s*((?:\d[ .-]?){4,8})(?![\d\w])",
    re.IGNORECASE,
)


def _has_code(text: str) -> bool:
    if _TOTP_WORDS.search(text) and any(sum(c.isdigit() for c in m.group()) >= 2 for m in _TOTP_SECRET.finditer(text)):
        return True  # two digits at least: "CODE WIFI PASS WORD" is no key
    if _GOOGLE_CODE.search(text) or _RECEIVED_CODE.search(text) or _has_recovery_key(text):
        return True
    if _LOCK_CODE.search(text) or _PATTERN_SHAPE.search(text):
        return True
    if any(int(m.group(1)) == sum(c.isdigit() for c in m.group(2)) for m in _COUNTED_DIGITS.finditer(text)):
        return True
    texted = _TEXTED_CODE.search(text) if _THREE_DIGITS.search(text) else None  # most messages have none
    if texted and not _year(texted.group(1)):
        return True
    cleaned = _NOT_A_SECRET_CODE.sub(" ", text)
    if _SHOWS_OR_SENDS.search(cleaned):
        cleaned = _SHOWS_OR_SENDS.sub(" ", cleaned)
    if not _CODE_WORD.search(cleaned) or _DEFAULT.search(cleaned):
        return False  # no code word, or a factory default ("le code PIN par défaut c'est 0000 ?")
    birth_year = _BIRTH_YEAR.search(cleaned)  # issue 18, seventh round: the code said first ("né en 1964, il a changé
    talks_of_a_birth_year = _BIRTH_YEAR_WORDS.search(cleaned) is not None  # de code PIN", "my birth year is 1990 …
    # a PIN" is no PIN)
    if birth_year and not _CODE_WORD.search(cleaned, 0, birth_year.start()):
        birth_year = None
    if _CODE_WITH_A_LETTER.search(cleaned) or birth_year:
        return True
    if _SPELLED_CODE.search(cleaned) or _NUMBER_IN_WORDS.search(cleaned):
        return True  # "mon code c'est un neuf trois sept"
    if any(len(re.sub(r"\W", "", m.group(1))) >= 4 for m in _LETTERS_AND_DIGITS_CODE.finditer(cleaned)):
        return True
    for match in _UNFRAMED_CODE.finditer(cleaned):
        if any(_CODE_OF_LETTERS_AND_DIGITS.fullmatch(w) and _class_changes(w) >= 3 for w in match.group(1).split()):
            return True
    if _KEYPAD_CODE.search(cleaned):
        return True  # "door code 24#19", "digicode *4512#"
    if any(sum(c.isdigit() for c in m.group()) >= 3 for m in _SPACED_CHARACTERS.finditer(cleaned)):
        return True  # "code d'entrée de la résidence 3 4 A 7"
    talks_about_bad_ones = _TALK_ABOUT_BAD_ONES.search(cleaned) is not None
    # "les pires codes : 2580, 1397", "est-ce que 2468 est un code courant ?": examples, asked about, none one's own
    examples = talks_about_bad_ones and (_PLURAL_CODES.search(cleaned) or ("?" in cleaned and not _OWN.search(cleaned)))
    for group in _DIGIT_GROUP.finditer(cleaned):
        digits = re.sub(r"\D", "", group.group())
        if not 4 <= len(digits) <= 8 or (talks_about_bad_ones and _WEAK_CODE.fullmatch(digits)) or examples:
            continue
        if _is_a_date(group.group()):
            continue  # "code expiré le 14.06.24"
        is_year = _year(digits)
        if is_year and _YEAR_AFTER.search(cleaned[: group.start()]):
            continue
        if is_year and talks_of_a_birth_year and not _CODE_WORD.search(cleaned, 0, group.start()):
            continue  # issue 18, seventh round: "my birth year is 1990 and I still don't have a PIN"
        return True
    return False


# --- passwords -------------------------------------------------------------------------------------
_PASSWORD_WORD = re.compile(
    r"\b(?=\w)(?:mots? de passes?|mdp|passwords?|passwd|pswd|psw|pwd|pw|pass ?phrases?|"
    r"phrases? (?:de passe|secr[èe]tes?)|"
    # as typed in a hurry: "psswd", "pasword", "passwrd", "pass word", "mot2passe", "motdepasse", "passcode"
    r"ps?s?wr?d|pas?s?wo?r?d|pass?(?:wrod|owrd|wrd|worf|wprd)|pass words?|mot ?(?:2|de|d'?) ?pass?e?|passcodes?|"
    r"code (?:du |de la )?wi-?fi|"
    # "pass", but not a travel, culture or health pass: "le pass culture c'est 300€"
    r"pass(?!\s+(?:culture|navigo|sport|sanitaire|vaccinal|rail|famille|annuel|ski|mus[ée]e|d'une))|"
    r"code de connexion|wi-?fi(?=\s*[:=])|"
    # a Wi-Fi key: "la clé wifi", "clé de sécurité réseau", "my wpa key"
    r"cl[ée]s? (?:de s[ée]curit[ée] )?(?:du |de la |de mon |de ma )?(?:wi-?fi|wpa2?|wep|r[ée]seau|\w*box|routeur)|"
    r"(?:wi-?fi|wpa2?|wep|network|router|box) (?:key|passphrase|code|password)|"
    r"codes? secrets?|secret codes?|codes? d'acc[èe]s|access codes?|"
    # the code that opens a device: "the code for my tablet is nightingale"
    r"(?:code|pin|passcode) (?:for|of|to|de|du|pour) (?:my |the |mon |ma |la |le |l')?"
    r"(?:tablet|phone|laptop|computer|pc|mac|"
    r"ipad|iphone|tablette|t[ée]l[ée]phone|portable|ordi(?:nateur)?|session)|"
    # the answer to a security question is a password too
    r"(?:r[ée]ponses?|questions?) (?:secr[èe]tes?|de s[ée]curit[ée])|(?:security|secret) (?:question|answer)s?|"
    # a password manager's master password: "phrase maître : …", "my keepass master is …"
    r"phrases? ma[iî]tres?|master (?:password|passphrase|key|pass)|"
    r"(?:keepass(?:xc)?|bitwarden|lastpass|dashlane|1password|proton pass|vault) master|"
    r"nom de jeune fille|maiden name|"
    # a bank's memorable word: "my memorable word is marmalade", "mon mot mémorable c'est coquelicot"
    r"mots? m[ée]morables?|memorable (?:words?|info(?:rmation)?|phrase|answer|place|name|date|town|city)|"
    # the usual security questions, asked in the message: "le nom de mon premier animal c'est Caramel"
    # (a first car, school or job is everyday talk: its answer counts when the security question is named)
    # (a numbered question is a quiz's or an exam's: "la réponse à la question 4 c'est 1789", issue 18, seventh round)
    r"(?:first|premi[eè]re?) (?:pet|animal|chien|chat|dog|cat)|r[ée]ponses? à (?:la|ma) question(?!\s*(?:n°\s*)?\d)|"
    # "the name of" a first school, car or boss is the question itself: "le nom de ma première école c'est Jean Moulin"
    r"(?:nom|name) (?:de|of) (?:ma|mon|my) (?:premi[eè]re?|first) (?:[ée]cole|school|voiture|car|boss|patron|"
    r"teacher|ma[iî]tresse|instit\w*|prof)|"
    r"ville de naissance|lieu de naissance|city of birth|birth ?place"
    r"(?:town|city) (?:where )?i was born|(?:street|rue) (?:i grew up on|where i grew up|o[ùu] j'ai grandi)|"
    r"(?:favou?rite|pr[ée]f[ée]r[ée]e?) (?:teacher|book|movie|film|food|plat|livre|prof)|(?:nom|name) of my pet|"
    r"(?:plat|livre|film|prof|chanteur|chanteuse|couleur|sport|h[ée]ros)s? pr[ée]f[ée]r[ée]e?s?)\b",
    re.IGNORECASE,
)
_FRAME = frozenset(
    {"c'est", "c’est", "cest", "c", "est", "était", "etait", "c'était", "c’était", "is", "'s", "was", ":", "="}
)
# Verbs that give it too, after a password word only: "mon mdp devient chaton12", "the wifi password reads tangerine".
_GIVING = _FRAME | _words("devient became becomes reste remains reads")
# A frame after these asks rather than gives: "passphrase or password, which is better?".
_ASKING = _words("which what who lequel laquelle lesquels quel quelle quoi qui")
_FRAME_GAP = 5  # words allowed between the password word and "c'est" / "is" ("du wifi de la maison")
_COLON_GAP = 9  # and before ":" or "=", which announce a value ("nom de jeune fille de ma mère, pour la banque :")
# Words that describe a password rather than give it: "mon mot de passe est nul / le même / trop court".
_DESCRIPTIVE = _words(
    """
    moi toi lui elle nous vous eux me it mine yours je j tu il on i you we they he she
    le la les l un une des du de d mon ma mes ton ta tes son sa ses notre votre leur ce cet cette ça ca cela
    quoi qui que quel quelle comment pourquoi où ou combien pas plus trop très tres vraiment assez super bien
    mal nul nulle faible fort forte court courte long longue simple simples compliqué facile difficile même
    meme différent different vieux vieille ancien ancienne nouveau nouvelle bon bonne mauvais mauvaise sûr sur
    sure solide pourri naze écrit ecrit compromis pris volé vole perdu mort bloqué encore toujours déjà deja
    fichu foutu cuit aussi peut-être peut surement sûrement probablement partout ailleurs dedans dessus ici là la-dedans
    identique unique correct incorrect faux fausse juste valide invalide oublié oublie inconnu secret top
    nickel moyen pareil obligatoire requis demandé quoi? ok okay pire meilleur meilleure genre tout tous
    perso personnel personnelle confidentiel confidentielle privé privée intime sensible important importante
    private personal confidential sacred ugly silly lovely likely unlikely only daily weekly
    toutes rien personne aucun aucune jamais dans sur sous avec sans pour par en à a au aux chez
    the a an my your his her its our their this that these those what which who how why where when not no
    too very really quite pretty kinda so super just still already also probably maybe definitely
    weak strong short long simple easy hard complicated same different old new good bad safe unsafe secure
    insecure wrong right correct incorrect fine ok okay terrible awful great solid found stolen lost gone
    known unknown everywhere somewhere here there in on at for with without from about like same one
    case sensitive ten twelve eight six grave normal possible suffisant risqué dangereux risque
    sain saine healthy légal legal allowed crazy insane dingue ouf valid invalid expired expiré expire
    débile debile stupide stupid dumb idiot
    nécessaire necessaire necessary inutile useless pointless ridicule length longueur complexity complexité
    entropy entropie
    better best worse worst mieux safer stronger weaker enough off oui non yes celui celle ceux usual habitude
    public publique visible connu connue merci thanks thank thx svp stp please help aide bonjour hello
    voilà voila bref enfin bon quoi franchement honnêtement honestly anyway whatever
    words mots letters lettres characters caractères chiffres digits numbers several plusieurs random aléatoires
    """
)
_DESCRIPTIVE_ENDINGS = (
    "é", "ée", "és", "ées", "ment", "able", "ible", "eux", "euse", "ique", "ed", "ing", "ous", "ful",
    "less", "ive",
)  # fmt: skip
# The grammar of a sentence, which a passphrase of plain words has none of ("cheval batterie agrafe").
_GRAMMAR = _words(
    """
    le la les l un une des du de d mon ma mes ton ta tes son sa ses notre votre leur ce cet cette ça ca cela
    je j tu il elle on nous vous ils elles me te se moi toi lui eux qui que quoi quel quelle où ou et mais
    donc car ni pas plus trop très tres assez bien mal encore toujours déjà aussi jamais rien tous toutes
    dans sur sous avec sans pour par en à a au aux chez est sont était n ne y si comme
    the a an my your his her its our their this that these those i you he she it we they me him us them
    what which who how why where when not no too very really quite so still already also and or but of in
    on at for with without from to by about as is are was were be been enough if like
    """
)
# Words that only lead to what comes next: "my password is simply butterfly", "c'est tout simplement soleil".
# A greeting describes nothing, but quoted it is a password people really use: "c'est juste « bonjour »".
_GREETINGS = _words("bonjour bonsoir salut coucou merci hello hi thanks")
_FILLERS = _words(
    "just simply literally actually now currently still always juste simplement tout maintenant désormais toujours"
    " encore called named appelé appelée nommé nommée"
)
# "is the word 'Kiwi'", "c'est le mot lapin", "is the sentence ilovemydogmax"
_NAMING = re.compile(r"(?:the|le|ce|la) (?:word|mot|sentence|phrase)\b", re.IGNORECASE)
# Talk about passwords everybody knows to be bad is not a secret: "is P@ssw0rd a bad example?".
_TALK_ABOUT_BAD_ONES = re.compile(
    r"\b(?=\w)(?:exemples?|examples?|classiques?|classic|(?:les?|la) plus (?:utilis|courant|fr[ée]quent|r[ée]pandu)\w*|"
    r"most (?:common|used|popular)|(?:les|des) gens|people|folks|everyone|tout le monde|worst|pires?|"
    r"c[ée]l[èe]bres?|famous|"
    r"par d[ée]faut|default|d'usine|factory|(?:les?|la) plus (?:nul|b[êe]te|faible|stupide|pirat)\w*|"
    # "les mots de passe genre azerty", "things like qwerty", "is 1234 a common PIN?", "mettre 123456 comme mdp"
    r"genre|du style|things like|such as|common|courants?|pirat[ée]s|hacked|mettre|to use|fameux|fameuse|"
    # issue 18, seventh round: rankings and lists of them: "password123 is in every top 10 list", "rockyou"
    r"top \d+|top ten|top dix|palmar[èe]s|classements?|rankings?|wordlists?|dictionnaires?|dictionar(?:y|ies)|"
    r"rockyou|leaked lists?|listes? de fuites?|xkcd|zxcvbn|strength meter)\b",
    re.IGNORECASE,
)
# Calling it bad is talk too, unless it is one's own: "mon mdp ordi: azerty, je sais c'est nul" confesses it.
_CALLED_BAD = re.compile(r"\b(?:nuls?|nulles?|bad|weak|faible|terrible|stupid|dumb)\b", re.IGNORECASE)
_OWN = re.compile(r"\b(?:mon|ma|mes|my|j'ai|j'utilise|i use|i have|i've|i'm using)\b", re.IGNORECASE)
_QUOTES = "\"'«»“”‘’`"
_PUNCTUATION = ",.;!?…)(" + _QUOTES

# --- what a password-like token is, and what reads as a product, a version or a unit instead -------
_SYMBOLS = set("!@#$%^&*?~+=§|<>")
_KNOWN_WEAK = _words(
    """
    tr0ub4dor&3 azertyuiop qwertyuiop abc123 iloveyou jetaime motdepasse passw0rd p@ssw0rd p@ssword letmein 1q2w3e4r
    1q2w3e4r5t a1b2c3 azerty123 qwerty123 admin123 password1 password123 motdepasse1
    """
)
_PRODUCT_WORDS = _words(
    """
    windows win iphone ipad ipados ipod macbook imac mac macos osx ios android galaxy pixel office covid sars
    python node nodejs java php ruby perl rust go xbox playstation ps rtx gtx rx ryzen core intel amd nvidia
    geforce radeon livebox freebox bbox box sfr orange free bouygues wifi wi fi wpa wep ipv http https html
    css mp sha md utf usb hdmi bluetooth pro max plus mini ultra lite air se note fold flip edge series gen
    version beta alpha rc build update patch excel word outlook teams zoom chrome firefox safari opera brave
    signal telegram whatsapp gmail yahoo hotmail netflix spotify disney amazon prime google apple samsung
    huawei xiaomi redmi oneplus oppo nokia sony lg dell hp lenovo asus acer msi tesla model clio peugeot
    renault airbus boeing neo linux ubuntu debian fedora mint kernel web top euro mondial jo fifa nba nfl fa
    a2f mfa otp totp fido yubikey passkey g lte vpn ssd hdd ram go gb mo mb ko kb to tb ghz mhz hz km kg
    cm mm ml min mins sec h hr hrs jours jour heures heure minutes semaines semaine mois ans an days day
    hours hour weeks week months month years year euros eur dollars usd fois times x p k th st nd rd er
    eme ème e v s a b c d f i j l m n o q r t u w y z office365 arm amd64 aarch x86 vista xp
    gpt llama mistral claude gemini phi qwen vodafone bthub bt sky netgear tplink linksys dlink zyxel fritzbox
    ee virgin vm facebook instagram insta twitter tiktok snapchat snap microsoft hotspot androidap
    """
)
_PRODUCT_NAMES = frozenset(
    {"1password", "7-zip", "7zip", "1fichier", "3cx", "4chan", "9gag", "e-sim", "life360", "smarttag2", "smarttag"}
    # issue 18, sixth round: algorithms' names ("argon2id or bcrypt?"), never anyone's password
    | _words(
        "argon2 argon2id argon2i argon2d pbkdf2 sha1 sha2 sha3 sha224 sha256 sha384 sha512 sha256crypt sha512crypt "
        "md4 md5 blake2 blake2b blake2s blake3 aes128 aes256 rsa2048 rsa4096 ed25519 x25519 curve25519 chacha20 "
        "poly1305 wpa2 wpa3 tls13 des3 3des"
    )
    # issue 18, seventh round: admins' tools, encodings and formats whose names hold a digit ("fail2ban", "UUIDv4")
    | _words(
        "fail2ban base32 base58 base64 uuid1 uuid4 uuid7 uuidv1 uuidv4 uuidv7 log4j log4shell slf4j pkcs11 pkcs12 "
        "oauth2 http2 http3 ipv4 ipv6 sha256sum sha512sum md5sum x509 mp3 mp4 h264 h265 web3 webauthn2 fido2 "
        "ntlmv2 smbv1 smbv2 smbv3 snmpv3 tls12 sslv3 s3cmd 2fauth"
    )
)
# Issue 18, seventh round: what developers and admins type is code, not a password: a count and what it counts ("a
# 5-person shop", "a 12-month plan"), a command line's long option ("--from-file=./password.txt"), a regex
# ("^(?=.*[A-Z]).{12,}$"), a log line's process and its id ("sshd[2214]:"), a call or a subscript
# ("secrets.token_urlsafe(32)", "check_password_hash(", "input()", 'form["password"]').
_CODE_TOKEN = (
    r"\d{1,4}-(?:person|people|personnes?|man|men|members?|seats?|users?|employees?|days?|jours?|hours?|heures?|"
    r"minutes?|min|seconds?|secondes?|weeks?|semaines?|months?|mois|years?|ans?|steps?|[ée]tapes?|factors?|facteurs?|"
    r"bits?|bytes?|octets?|cores?|pages?|stars?|[ée]toiles?|ways?|times?|fois|rounds?|tours?|levels?|niveaux?)"
    r"(?:-[a-z]{2,8})?"  # "an 80-year-old dad"
    r"|--?[A-Za-z][\w-]*=\S*|--[A-Za-z][\w-]+"
    r"|\S*(?:\(\?[=!:<]|\\[dwsbDWS]|\[[^\]\s]{0,40}\w-\w[^\]\s]{0,40}\]|\.[*+]|\{\d+,\d*\})\S*"
    r"|[\w.-]+\[\d+\]:?|[\w.-]+'@'[\w.%-]+"  # "sshd[2214]:", MySQL's "'root'@'localhost'"
    # an error code in hex ("0xC000006A"), a ticket's reference ("INC0012345", "REQ-2291")
    r"|0x[0-9A-Fa-f]{1,16}|(?:INC|REQ|CHG|RITM|TASK|SR|PRB|TKT|CASE|TICKET)-?\d{3,12}"
    r"|(?:[A-Za-z_]\w*+\.)+[A-Za-z_]\w*+[(\[]\S*|[A-Za-z][^\W_]*+_\w*+[(\[]\S*|\w++\(\)\S*|\w++[(\[][\"']\S*"
)
_IS_CODE = re.compile(_CODE_TOKEN)
_LONGEST_CODE_TOKEN = 200
_NOT_A_PASSWORD = re.compile(
    r"(?:[A-Za-z][\w+.-]{1,20}://|www\.)\S*"  # a web address (`_secret_setting` reads its "user:password@")
    r"|[\w.+-]+@[\w-]+\.[\w.-]+"  # an e-mail
    r"|[@#/]\S*"  # a @mention, a #hashtag, a command or a path
    r"|[A-Z][A-Z0-9_]*=\S*"  # a setting ("API_TIMEOUT=30"): `_secret_setting` reads those whose name says secret
    # $HOME/.local/bin:$PATH, a/b/c (a variable is in capitals or braces: "Mango$treet42" is a password)
    r"|[\w.~-]*\$(?:\{[A-Za-z_]\w*\}|[A-Z_][A-Z0-9_]*(?![a-z]))(?:[/:.]\S*)?|[\w.~$-]*(?:/[\w.$-]*){2,}"
    r"|[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,6}(?:/\S*)?"  # a domain (and a path) or a file name
    r"|v?\d+(?:\.\d+)+[\w.-]*"  # a version
    r"|[A-Z]{1,5}(?:-[A-Z]{1,5})?-?\d{1,5}[A-Za-z]{0,3}"  # a model or reference: RTX4090, COVID-19, SM-G991B
    r"|[A-Z]{2}-\d{3}-[A-Z]{2}"  # a French number plate
    r"|[A-Za-z]+-\d{1,3}|[A-Z]\d-[A-Z]\d"  # a title or a name: catch-22, Blink-182, R2-D2
    r"|[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}|[\w.-]+:\d{2,5}"  # a MAC address, a host and its port
    r"|\d+(?:[.,]\d+)?(?:[a-zA-Zéè€$£%]{1,3})?"  # an amount with its unit: 14h, 4K, 1080p, 12€
    r"|\d{1,2}h(?:\d{2})?(?:-\d{1,2}h(?:\d{2})?)?"  # a time, or hours: 9h-19h
    r"|\d+-(?:characters?|chars?|digits?|letters?|words?|caract[èe]res?|chiffres?|lettres?|mots?)"  # 8-character
    r"|" + _CODE_TOKEN
)
_RUNS = re.compile(r"[^\W\d_]+|\d+")


def _class_changes(token: str) -> int:
    """How many letter/digit runs a token has, separators ignored: 'p4ssw0rd' has 5, 'x86_64' has 2."""
    kinds = ["a" if run[0].isalpha() else "d" for run in _RUNS.findall(token)]
    return sum(1 for i, kind in enumerate(kinds) if i == 0 or kind != kinds[i - 1])


# A Wi-Fi network's name as routers make it: a brand, then capitals and digits ("Freebox-3F2A1B", "SKY4F2A1",
# "BTHub6-K9PQ", "TP-LINK_2.4GHz_8C7D").
_NETWORK_NAME = re.compile(r"([A-Za-z]+)[-_]?(?:[A-Za-z0-9.]+[-_])*[0-9A-Z]{4,8}")


def _reads_as_product(token: str) -> bool:
    """Letters that are all product, version or unit words (or very short), digits around them."""
    network = _NETWORK_NAME.fullmatch(token)
    if network and (len(network.group(1)) <= 2 or _fold(network.group(1)) in _PRODUCT_WORDS):
        return True
    if _class_changes(token) >= 4:
        return False  # leetspeak, or a random mix: p4ssw0rd, 7fK2-pq9X
    words = [_fold(w) for w in re.findall(r"[^\W\d_]+", token)]
    split_camel = [_fold(w) for w in re.findall(r"[A-Z]?[a-zà-ÿ]+|[A-Z]+(?![a-z])", token)]
    return all(w in _PRODUCT_WORDS or len(w) <= 2 for w in words) or all(
        w in _PRODUCT_WORDS or len(w) <= 2 for w in split_camel
    )


def _strip_punctuation(token: str) -> str:
    return token.strip(_PUNCTUATION)


# A name, "=", a value, in one token: a setting or an attribute, whose value alone says whether it is a password.
_ASSIGNED = re.compile(r"([a-z_][\w.-]*|[A-Z][A-Z0-9_.-]*)=(\S+)")  # not a word: "Soleil=42" is a password


# Issue 18, eighth round: a class in code names a password, it holds none ("OAuth2PasswordBearer", "PasswordEncoder"):
# a password word, then a code word of a framework's vocabulary.
_CLASS_NAME = re.compile(
    r"[A-Za-z0-9]{0,30}(?:Password|Passwd|Token|Secret|Credentials?)(?:[A-Z][a-z]{1,15}){0,3}"
    r"(?:Bearer|Encoder|Hasher|Request|Form|Field|Input|Handler|Manager|Service|Provider|Validator|Policy|Reset|Flow|"
    r"Grant|Store|Helper|Factory|Type|Strength|Meter|Error|Exception|Generator|Builder|Config|Options|Settings|Dialog|"
    r"View|Controller|Component|Widget|Authentication|Authenticator)"
)


_IMAGE_TAG = re.compile(
    r"[a-z][a-z0-9_/.-]{1,40}:\d{1,4}(?:\.\d{1,4})+(?:-[a-z][\w.]{0,20})?|[a-z][a-z0-9_/.-]{1,40}:\d{1,4}-[a-z][\w.]{0,20}"
)


def _names_products_or_code(token: str) -> bool:
    """Issue 18, eighth round: algorithms joined by a dash ("PBKDF2-SHA256"), a product's possessive ("1Password's"),
    a class in code ("OAuth2PasswordBearer"), an image's tag ("python:3.12-slim") name tools, not a password."""
    if _fold(token.removesuffix("'s")) in _PRODUCT_NAMES or _CLASS_NAME.fullmatch(token):
        return True
    if _IMAGE_TAG.fullmatch(token):
        return True
    parts = [_fold(part) for part in token.split("-")]
    return len(parts) > 1 and all(part in _PRODUCT_NAMES or part in _PRODUCT_WORDS for part in parts)


def password_like(token: str) -> bool:
    """A word that looks made up to be a password: letters mixed with digits or an inner symbol."""
    if _fold(token) in _KNOWN_WEAK:
        return True
    if not 5 <= len(token) <= 64 or _NOT_A_PASSWORD.fullmatch(token) or _fold(token) in _PRODUCT_NAMES:
        return False
    if _names_products_or_code(token):
        return False
    if "&" in token and "=" in token and all(_ASSIGNED.fullmatch(p) for p in token.split("&")):
        return any(password_like(parameter) for parameter in token.split("&"))  # "user=test&password=test"
    assigned = _ASSIGNED.fullmatch(token)
    if assigned:  # issue 18, seventh round: "memory_cost=65536", 'type="password"', "user_id=1183" name a setting
        value = assigned.group(2).strip(_QUOTES)
        return not _PLACEHOLDER.fullmatch(value) and not _STAND_IN.fullmatch(value) and password_like(value)
    has_letter = any(c.isalpha() for c in token)
    has_digit = any(c.isdigit() for c in token)
    has_symbol = any(c in _SYMBOLS for c in token[1:-1]) or (has_digit and token[-1] in _SYMBOLS)
    if not has_letter or not (has_digit or has_symbol):
        return False
    if has_symbol and not has_digit and len(token) < 8:
        return False  # "M&M's", "AT&T"
    return not _reads_as_product(token)


def _made_up(token: str) -> bool:
    """A word of letters then digits (or the reverse) that is no version, model, amount or time: "Mistral2022"."""
    return (
        6 <= len(token) <= 64
        and any(c.isalpha() for c in token)
        and sum(c.isdigit() for c in token) >= 2
        and not _NOT_A_PASSWORD.fullmatch(token)
        and _fold(token) not in _PRODUCT_NAMES
    )


def _strongly_password_like(token: str) -> bool:
    """Capitals, small letters, digits and a symbol together: a password wherever it appears."""
    return (
        len(token) >= 8
        and any(c.isupper() for c in token)
        and any(c.islower() for c in token)
        and any(c.isdigit() for c in token)
        and any(c in _SYMBOLS for c in token)
        and not _NOT_A_PASSWORD.fullmatch(token)
        and _fold(token) not in _PRODUCT_NAMES
    )


_LONGEST_DESCRIPTIVE = 14  # longer, a word ending in "é" is words run together: "jaimelechocolatnoiretlecafé"


def _describes(word: str, *, products: bool = True) -> bool:
    folded = word.casefold()
    if folded in _DESCRIPTIVE or (products and _fold(folded) in _PRODUCT_WORDS):
        return True
    if folded.isdigit():
        return len(folded) < 4  # "12 caractères"
    return folded.isalpha() and folded.endswith(_DESCRIPTIVE_ENDINGS) and len(folded) <= _LONGEST_DESCRIPTIVE


# " - " reads as ":"; a time's ":" stays (issue 18, seventh round: "changed … at 14:02 from Chrome" gives nothing)
_SPACED_PUNCTUATION = re.compile(r"\s*(=|:(?!\d)|(?<!\d):)\s*|\s*(->|=>|→)\s*|(?<=\w)('s)\b|\s+[-–—]\s+")


_CLAUSE_GOES_ON = _words("et mais donc alors lol mdr ptdr stp svp and but so lol please haha")


# How a password is typed, said after it: "c'est gribouille sans majuscule", "is nutmeg, all lowercase".
_SPELLING_NOTE = re.compile(
    r"(?:sans|without|all|en|tout en|avec|with|in) (?:les? |des |the )?"
    r"(?:majuscules?|minuscules?|lowercase|uppercase|caps|capitals?|espaces?|spaces?|accents?)\b",
    re.IGNORECASE,
)


def _no_value(value: str) -> bool:
    """Issue 18, seventh round: code ("mot de passe : ^(?=.*[A-Z]).{12,}$", a regex), an empty value ('"password":
    ""'), a log's switch in capitals ("using password: YES") give no password."""
    if len(value) <= _LONGEST_CODE_TOKEN and _IS_CODE.fullmatch(value):
        return True
    if _STAND_IN.fullmatch(value) or _names_products_or_code(value):
        return True  # issue 18, eighth round: a fixture's "test", "motdepasse-de-test"; "PBKDF2-SHA512"
    if value in _PASSWORD_SOURCES or value in _CODE_CONSTANTS or value.casefold() in _CREDENTIAL_NAMES:
        return True  # "-passout pass:env", "sensitive = true", "mot de passe = login": a source, a constant, a field
    return not value.strip("{}[]<>") or (value.isupper() and value.casefold() in _SWITCHES)


def _gives_a_password(words: list[str]) -> bool:
    """Whether the words after "c'est", "is", ":" give a password rather than describe one.

    A word with digits or symbols gives one ("soleil123"), and so does a plain word that is quoted or
    ends the clause ("mon mot de passe c'est soleil", "… c'est soleil, c'est grave ?"), a quoted phrase
    ("« ma fille est née en mai »") and a passphrase of plain words ("lune-bougie-trottoir", "fenêtre
    jardin tortue parapluie"); a plain word that goes on ("password: forgot it") or describes ("c'est
    nul", "is weak") doesn't, nor does an amount ("le pass… c'est 300€")."""
    while words and _strip_punctuation(words[0]).casefold() in _FILLERS:
        words = words[1:]  # "is simply butterfly"
    if words and words[0].rstrip(",;") == "-":
        return False  # issue 18, seventh round: a reference to a value stood here (`_without_references`), none given
    if len(words) > 2 and _NAMING.fullmatch(" ".join(words[:2])):
        words = words[2:]
    position = next((i for i, word in enumerate(words) if _strip_punctuation(word)), None)
    if position is None:
        return False
    quoted = position > 0 or words[position][0] in _QUOTES
    if (
        position + 1 < len(words)
        and _strip_punctuation(words[position]).casefold() in _ARTICLES
        and _strip_punctuation(words[position + 1])[:1].isupper()
        and (position + 2 == len(words) or words[position + 1][-1] in _PUNCTUATION or words[position + 2][0] in "([")
    ):
        position += 1  # a name given: "ma première voiture c'était une Twingo"
    raw, value = words[position], _strip_punctuation(words[position])
    if _no_value(value):
        return False  # issue 18, seventh round
    while value.isdigit() and position + 1 < len(words) and _DIGIT_PAIR.fullmatch(words[position + 1]):
        position += 1  # "mot de passe : 41 72 93", read as one number
        raw, value = words[position], value + words[position]
    if quoted and len(_quoted_words(words[position:])) >= 2:
        return True
    following = words[position + 1] if position + 1 < len(words) else None
    if following and _LENGTHS.fullmatch(value) and _strip_punctuation(following).casefold() in _COUNTED:
        return False  # issue 18, seventh round: "Password requirements: 8-64 chars": lengths, not a password
    ends_clause = (
        following is None
        or _SPELLING_NOTE.match(" ".join(words[position + 1 : position + 4])) is not None  # "sans majuscule"
        or raw[-1] in _PUNCTUATION
        or (not any(c.isalnum() for c in following) and following.rstrip(",;.") != "-")  # "= await -": code goes on
        or following[0] in "(["  # "Leeds (that's my security answer)"
        or _strip_punctuation(following).casefold() in _CLAUSE_GOES_ON
    )
    if _plain_words_passphrase(words[position:]):
        return True
    if value[:1].isupper() and following and following[:1].isupper() and _names_two_words(words[position + 1 :]):
        return True  # "c'est Jules Ferry, c'est ma question de sécurité"
    if quoted and value.casefold() in _GREETINGS:
        return True  # "my password is just 'hello'"
    if len(_JOINERS.split(value)) >= 3 and _joined_passphrase(value):
        return True  # "orange-kettle-summit", whatever its words end like
    if _describes(value) or (value.casefold().endswith("ly") and not ends_clause) or _AMOUNT.fullmatch(value):
        return False  # "is weak", "is easily guessed", "c'est 300€"
    has_digit = any(c.isdigit() for c in value)
    symbol_inside = any(c in _SYMBOLS for c in value[1:-1]) and sum(c.isalpha() for c in value) >= 3  # "Ch@ton"
    if password_like(value) or (has_digit and any(c.isalpha() for c in value)) or (has_digit and len(value) >= 4):
        return True
    if symbol_inside:
        return True  # after "c'est" / "is", even "Max2016" or "2501Lea" is given, not a product or an amount
    if _joined_passphrase(value):
        return True
    if not value.isalpha() and not (value[:1].isupper() and value.replace("'", "").replace("-", "").isalpha()):
        return False  # but a name is given: "O'Brien", "Marie-Claire"
    return quoted or ends_clause


_DIGIT_PAIR = re.compile(r"\d{2,4}")
_LENGTHS = re.compile(r"\d{1,3}(?:-\d{1,3})?")
# What a password policy counts (not "4 times", which a passphrase may say)
_CHARACTER_CLASSES = _words(
    "caractère caractères caractere caracteres character characters char chars chiffre chiffres digit digits lettre"
    " lettres letter letters symbole symboles symbol symbols majuscule majuscules minuscule minuscules uppercase"
    " lowercase capital capitals"
)
_PASSWORD_SOURCES = _words("env stdin prompt keychain")
_CODE_CONSTANTS = _words("true false null nil None True False undefined")
_CREDENTIAL_NAMES = _words("login username user identifiant email e-mail pseudo")
_SWITCHES = _words("yes no true false on off none null nil")  # "(using password: YES)": a log's switch, in capitals
# A password spelt out: "soleil deux mille vingt point d'exclamation", "capital M, a, x, then one nine eight seven".
_SPELT_NUMBERS = _words(
    "zéro zero deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize vingt trente"
    " quarante cinquante soixante cent mille two three four five six seven eight nine ten eleven twelve twenty"
    " thirty forty fifty sixty seventy eighty ninety hundred thousand"
)
_SPELT_SYMBOLS = _words(
    "tiret underscore arobase arobas dièse diese hashtag hash étoile etoile astérisque asterisk dollar exclamation"
    " interrogation slash dash hyphen esperluette ampersand"
)
_SPELT_CASE = _words("majuscule capital uppercase lowercase minuscule caps")  # singular: "deux majuscules" describes
_SPELT_SIZE = _words("grand petit big small star")  # "grand M, petit o", "small m, o, o, n, 4, 4, star"
_COUNTED = _words(
    "caractères caracteres characters chiffres digits lettres letters symboles symbols numbers nombres mots words"
    " fois times ans years jours days"
    # issue 18, seventh round: a policy's list, one of each: "1 majuscule, 1 minuscule, 1 chiffre, 1 caractère spécial"
    " caractère caractere character char chars chiffre digit lettre letter symbole symbol nombre number"
)
_SPELT_WORDS = 16


_SPELT_CHARACTER = re.compile(r"[^\W_],?")  # "a," "4,": one character, then a comma (or the last one, without)
_SPELT_CHARACTERS = 5


def _spells_letter_by_letter(words: list[str]) -> bool:
    """Five single characters or more, most of them followed by a comma: a password dictated key by key."""
    singles = [w for w in words if _SPELT_CHARACTER.fullmatch(w)]
    with_comma = sum(w.endswith(",") for w in singles)
    return len(singles) >= _SPELT_CHARACTERS and with_comma >= _SPELT_CHARACTERS - 1


def _mixes(words: list[str]) -> bool:
    """Letters and digits among the single characters: "C, h, a, t, o, n, 9, 1", not "1, 2, 3, 4, 5"."""
    singles = "".join(w[0] for w in words if _SPELT_CHARACTER.fullmatch(w))
    return sum(c.isdigit() for c in singles) >= 2 and sum(c.isalpha() for c in singles) >= 3  # not "a, c, d, b, a, 4"


def _spells_a_password(words: list[str], *, cued: bool) -> bool:
    """Digits said in words with a symbol's or a letter case's name; with no password word before it, a symbol
    and two digits at least ("maman tiret zero six…"). Not a count: "douze caractères avec un tiret"."""
    parts = [p for w in words[:_SPELT_WORDS] for p in re.split(r"[-']", _strip_punctuation(w).casefold()) if p]
    if any(p in _COUNTED for p in parts):
        return False
    numbers = sum(p in _SPELT_NUMBERS for p in parts)
    symbols = sum(p in _SPELT_SYMBOLS for p in parts)
    cases = sum(p in _SPELT_CASE for p in parts)
    sizes = sum(p in _SPELT_SIZE for p in parts)
    if _spells_letter_by_letter(words) and (cued or symbols + cases + sizes >= 1 or _mixes(words)):
        return True  # "P majuscule, a, t, a, t, e, 4, 2", "capital D, o, g, g, o, then 4, 5, 6"
    if cued:
        return numbers >= 1 and symbols + cases >= 1
    return numbers >= 2 and symbols >= 1 and numbers + symbols + cases >= 4


def _names_two_words(rest: list[str]) -> bool:
    """The second word of a name that ends its clause: "Ferry," in "Jules Ferry, c'est…"."""
    second = _strip_punctuation(rest[0])
    ends = len(rest) == 1 or rest[0][-1] in _PUNCTUATION or rest[1][0] in "(["
    return ends and second.isalpha() and not _describes(second)


_AMOUNT = re.compile(r"[€$£]\s?\d+(?:[.,]\d+)?|\d+(?:[.,]\d+)?\s?(?:€|\$|£|eur|euros?|dollars?|%)", re.IGNORECASE)
_JOINERS = re.compile(r"[-._]")


def _quoted_words(words: list[str]) -> list[str]:
    """The words of a quotation that opens at `words[0]`, up to its closing mark (or the end)."""
    quoted = []
    for index, word in enumerate(words):
        if _strip_punctuation(word):
            quoted.append(word)
        if (index > 0 or len(word) > 1) and word.rstrip(",.;!?…)")[-1:] in _QUOTES:
            break
    return quoted


def _joined_passphrase(value: str) -> bool:
    """Plain words joined by dashes, dots or underscores: "cheval-batterie-agrafe", "Kestrel-Orchard"."""
    parts = _JOINERS.split(value)
    if not all(part.isalpha() for part in parts):
        return False
    if len(parts) >= 3:  # short words among them too: "ils-dansent-sous-la-pluie-a-Brest"
        return all(len(part) >= 2 for part in parts) or sum(len(part) >= 3 for part in parts) >= 3
    return len(parts) == 2 and all(len(p) >= 3 and not _describes(p) and p.casefold() not in _GRAMMAR for p in parts)


_PASSPHRASE_WORDS = range(3, 7)


def _plain_words_passphrase(words: list[str]) -> bool:
    """Three to six plain words with no grammar between them, ending the clause: "girafe lampe nuage bateau",
    "loup garou 93" (a number among them, but not only numbers)."""
    if words and _describes_in_a_sentence(_strip_punctuation(words[0]).casefold()):
        return False  # "is ten years old"
    phrase: list[str] = []
    for word in words:
        plain = _strip_punctuation(word)
        if not plain:
            break  # a lone "?" or "!" ends the clause
        folded = plain.casefold()
        if not plain.replace("-", "").isalnum() or folded in _GRAMMAR or folded in _FILLERS or folded in _DESCRIPTIVE:
            return False
        phrase.append(plain)
        if word[-1] in _PUNCTUATION:
            break
    return len(phrase) in _PASSPHRASE_WORDS and sum(word.isalpha() for word in phrase) >= 2


_NOTORIOUS = _KNOWN_WEAK | _words("password azerty qwerty 123456 12345678 123456789 000000 111111 admin")


# Issue 18, sixth round: a notorious word dressed up with digits and a symbol, asked about as anyone's password:
# "is Password1! really considered strong?", "est-ce que Azerty123! est vraiment sûr ?" (not "is my Summer2024! …").
_NOTORIOUS_BASES = _NOTORIOUS | _words(
    "passw0rd p@ssword p@ssw0rd motdepasse welcome bienvenue summer winter spring autumn fall ete hiver printemps "
    "automne letmein iloveyou jetaime monkey dragon football changeme"
)
_DRESSED_UP = re.compile(r"([^\W\d_]+)\d{0,4}[!@#$%*?.]{0,2}")
_ASKED_STRENGTH = re.compile(r"\b(?:consid[ée]r[ée]e?|considered|really|vraiment|actually|accept\w*)\b", re.I)


def _named_as_bad(token: str, text: str) -> bool:
    """A notoriously bad password, talked about rather than confessed: "is P@ssw0rd a bad example?"."""
    folded = _fold(_strip_punctuation(token))
    if (folded in _NOTORIOUS or _WEAK_CODE.fullmatch(folded)) and _talks_about_bad_ones(text):
        return True
    dressed = _DRESSED_UP.fullmatch(_fold(token.strip(",;:()«»\"'`")))
    return bool(
        dressed
        and dressed.group(1) in _NOTORIOUS_BASES
        and "?" in text
        and _ASKED_STRENGTH.search(text)
        and not _OWN.search(text)
    )


@functools.lru_cache(maxsize=8)
def _talks_about_bad_ones(text: str) -> bool:
    """Read once per message (a string keeps its hash): asked for every notorious word of a message repeating
    "password", it made a 4096-character one quadratic (0.3 s). `detect` empties the cache when it answers."""
    return _TALK_ABOUT_BAD_ONES.search(text) is not None or (
        _CALLED_BAD.search(text) is not None and _OWN.search(text) is None
    )


# "i use Fluffy123 for everything", "i've used Butterfly7 since school": a password confessed by its use.
_REUSED = re.compile(
    r"\b(?:i(?:'ve| have)?(?: been)? (?:always |still )?(?:used?|using)|i'm (?:still )?using|i always use|"
    r"j'utilise|j'ai utilisé|j'ai mis|je mets|i put|je garde|i keep)\s+(?:toujours |encore |always |still )?(\S+)",
    re.IGNORECASE,
)
# Reuse said anywhere in the message: then any password-like word in it is the one reused
# ("the one I use everywhere is Bluebird77", "même mot de passe sur tous mes comptes").
_REUSE = re.compile(
    r"\b(?:partout|everywhere|(?:on|for) (?:every|all (?:my|the))\b|(?:sur|pour) tous (?:mes|les)\b|"
    r"for everything|pour tout\b|"
    # or the account it opens: "it's Pa55word-Sunday for the family account"
    r"(?:for|pour|on|sur) (?:the|my|our|le|mon|ma|notre) (?:\w+ )?(?:account|compte|login|connexion)\b)",
    re.IGNORECASE,
)
# "amazon - Zorro!2019", "facebook : Lapin1990": an account's name, then its password, and nothing else.
# "la clé c'est 9C4kTzq2WmR8": a key, given; but "the key is patience" is an idiom, so only a made-up word counts.
_KEY = re.compile(
    r"\b(?:cl[ée]s?|keys?)\s+(?:c'est|est|is|=|:)\s"
    # secrecy asked for: "ok its sweetpea1 dont tell anyone"
    r"|\b(?:don'?t tell (?:anyone|anybody|no ?one)|keep it (?:secret|between us)|(?:ne )?le dis à personne|"
    r"dis-le à personne|garde(?:-le)? pour toi|entre nous)\b",
    re.IGNORECASE,
)
# A word then a number (or the reverse), the commonest password there is: "rosebud1990", "Emma2016", "92chaton";
# all capitals is a promo code or a reference ("BIENVENUE10"), a brand and a version is a product (password_like).
_WORD_AND_NUMBER = re.compile(
    r"[A-Z]?[a-zà-ÿ]{3,}(?:[A-Z][a-zà-ÿ]{2,}){0,2}\d{2,4}[!?*.]?|\d{2,4}[A-Z]?[a-zà-ÿ]{3,}"
    r"|[A-Z][a-zà-ÿ]{5,}\d[!?*.]?"  # one digit after a long capitalised word: "Butterfly7"
)
# …unless it is a user name: "mon pseudo c'est lea92".
_HANDLE = re.compile(
    r"\b(?:pseudo\w*|user ?names?|handles?|gamertags?|tags?|identifiants?|logins?(?! (?:box|page|screen|form|field))|"
    r"nom d'utilisateur|profil|profile|compte insta\w*|insta|snap\w*|tiktok|discord|twitch|steam|psn|xbox|fortnite|"
    r"roblox|epic|"
    r"m'a (?:ajout[ée]e?|invit[ée]e?|suivi[e]?)|added me|invited me|followed me)\b",
    re.IGNORECASE,
)
# An account's name that says a user name follows: "mon gamertag Xbox : Shadow_99", "faux compte : lea.2024".
_USER_NAME = re.compile(
    r"\b(?:pseudo\w*|user ?names?|handles?|gamertags?|tags?|identifiants?|logins?|users?|nom d'utilisateur|"
    r"profil|profile|faux comptes?|fake accounts?|psn|xbox|discord|fortnite|roblox|twitch|epic|new account|"
    r"nouveau compte|(?:made|created|opened) an? (?:new |other |second |fake )?account|cr[ée]{2} un (?:\w+ )?compte)\b",
    re.IGNORECASE,
)
_ACCOUNT_AND_PASSWORD_LENGTH = 100
_ACCOUNT_AND_PASSWORD = re.compile(
    r"([^\W\d](?:[^\W\d]|[.' ]){0,24}?)(?:\s*(?::|->|=>|→|=)|\s+[-–—/]|[-–—](?=\s))\s*(\S+)"
)
# What names a reference, not an account: "code promo : BIENVENUE10", "référence : REF-00982-B".
_NOT_AN_ACCOUNT = re.compile(
    r"\b(?:promo\w*|coupon|voucher|r[ée]f[ée]rences?|ref|commandes?|orders?|suivi|tracking|colis|parcel|factures?|"
    r"invoices?|tickets?|dossiers?|versions?|mod[èe]les?|models?|vols?|flights?|immatriculation|plaque|ssid|"
    r"r[ée]seau|network|"
    r"r[ée]servations?|booking|articles?|produits?|products?|sku|lots?|s[ée]ries|serial|sn)\b",
    re.IGNORECASE,
)


_SENTENCE_CUE = re.compile(r"pass ?phrase|phrase|sentence", re.IGNORECASE)
_SENTENCE_WORDS = range(3, 13)
_ARTICLES = _words("le la les l un une the a an")
_NEGATIONS = _words("ne n pas jamais rien never not don't dont no nothing won't can't cannot")
_PRONOUNS = _words("je j j'ai j'aime tu il elle on nous vous ils elles i i'm we you he she they")
# Words of someone talking about their password, not typing it: "password: i have to change it every month".
_TALK = re.compile(
    r"\b(?:oubli\w*|forg[eo]t\w*|chang\w*|r[ée]initialis\w*|reset|faut|must|should|need|dois|doit|devrais|"
    r"sais|know|remember|souviens|perdu|lost|demand\w*|asks?|asked|hack\w*|pirat\w*|vol[ée]|stolen|leak\w*|"
    # where it is kept: "mot de passe : je l'ai noté dans mon carnet"
    r"not[ée]\w*|[ée]crit\w*|writ\w*|wrote|stor\w*|sav(?:e|ed|ing)|enregistr\w*|gard[ée]\w*|kept|keep|"
    # what to do: "mot de passe oublié - cliquer sur le lien"
    r"cliqu\w*|click\w*|appuy\w*|press(?:e|er|ez)?|"
    # whom to ask: "mdp : voir avec le service info"
    r"voir|see|contact\w*|appel\w*|call)\b",
    re.IGNORECASE,
)


def _gives_a_sentence(words: list[str], *, shortest: int) -> bool:
    """Whether the words after ":" (or after "c'est" / "is" when a phrase was announced) are a sentence
    used as a password ("password: we all live in a yellow submarine", "ma phrase de passe c'est le chat
    mange la souris verte"): `shortest` words or more to the end of the message, no question, no
    negation, and not opening on a word that describes ("mot de passe : toujours le même")."""
    if len(words) > 2 * _SENTENCE_WORDS.stop:
        return False  # far too long to be one (and not worth reading whole: "mdp : mdp : mdp : …")
    clause = [word for word in words if any(c.isalnum() for c in word)]
    if len(clause) not in _SENTENCE_WORDS or len(clause) < shortest or "?" in "".join(words):
        return False
    folded = [_strip_punctuation(word).casefold() for word in clause]
    pairs = itertools.pairwise(folded)
    if any(_LENGTHS.fullmatch(word) and following in _CHARACTER_CLASSES for word, following in pairs):
        return False  # issue 18, seventh round: a policy, "1 majuscule, 1 minuscule, 1 chiffre, 1 caractère spécial"
    if any(word in _NEGATIONS or word.startswith("n'") for word in folded) or _TALK.search(" ".join(folded)):
        return False
    describing = [w for w in folded if w not in _GRAMMAR and w not in _PRONOUNS and _describes_in_a_sentence(w)]
    if _listed_words(words, folded) and len(describing) <= 1:
        return True  # words with no grammar, one of them an adjective at most: "correct horse battery staple"
    if describing:
        return False  # "mot de passe : j'en ai un différent pour chaque site"
    opening = next((word for word in folded if word not in _ARTICLES and word not in _FILLERS), "")
    return opening in _PRONOUNS or not _describes_in_a_sentence(opening)


def _listed_words(words: list[str], folded: list[str]) -> bool:
    """Three to six plain words, no grammar, no commas between them: a passphrase, not a sentence."""
    return (
        len(folded) in _PASSPHRASE_WORDS
        and all(word.isalpha() and word not in _GRAMMAR for word in folded)
        and not any("," in word for word in words)
    )


def _describes_in_a_sentence(word: str) -> bool:
    """A describing word; in a sentence, a short word ending like an adjective is as often a noun ("table", "café")."""
    return word in _DESCRIPTIVE or (len(word) > _SHORT_WORD and _describes(word, products=False))


_SHORT_WORD = 6  # "table", "live", "café": a short word ending like an adjective is as often a noun


_SECURITY_QUESTION = re.compile(
    r"\b(?:questions? (?:secr[èe]tes?|de s[ée]curit[ée])|(?:security|secret) (?:questions?|answers?)|"
    r"r[ée]ponses? (?:secr[èe]tes?|de s[ée]curit[ée])|r[ée]ponse à (?:la|ma) question(?!\s*(?:n°\s*)?\d))\b"
    # "the answer to 'name of your first school' is …", not "the answer to 'why' is simple: money"
    r"|\b(?:answer to|r[ée]ponse à) [«\"“'‘][^'\"»”’]{0,60}?\b(?:name|nom|city|ville|street|rue|school|[ée]cole|first|"
    r"premi\w+|born|naissance|maiden|jeune fille|favou?rite|pr[ée]f[ée]r\w*)"
    # or any question of three words or more: "the answer to 'where did you meet your spouse' is Biarritz"
    r"|\b(?:answer to|r[ée]ponse à) [«\"“'‘]\s*(?:[^'\"»”’\s]+\s+){2,8}[^'\"»”’\s]+\s*[»\"”'’]",
    re.IGNORECASE,
)
# One to three words closing the message after "?", ":", "→", "c'est", "is", "j'ai répondu" or "j'ai mis": the answer.
_ANSWER_AFTER_QUESTION = re.compile(
    r"(?:[?:→]|\b(?:c'est|c est|is|was|était|etait|r[ée]pondu|answered|mis|put)\b)"
    r"\s*([^\s?:]+(?:\s+[^\s?:]+){0,2})\s*$",
    re.IGNORECASE,
)


_SECURITY_CUE = re.compile(
    r"\b(?:questions? (?:secr[èe]tes?|de s[ée]curit[ée])|security (?:questions?|answers?)|"
    r"r[ée]ponses? (?:secr[èe]tes?|de s[ée]curit[ée])|secret answers?|security q|question s[ée]cu)\b",
    re.IGNORECASE,
)
_TITLES = _words("mr mrs ms miss dr mme mlle m. madame monsieur")


# A security question's own words, then its answer closing the message a few words on, with no frame: "nom de jeune
# fille de maman Lefort", "favourite food (security q) lasagne".
_QUESTION_KEYWORD = re.compile(
    r"(?:jeune fille|maiden name|first|premi[eè]re?|naissance|birth|born|grew up|grandi|favou?rite|pr[ée]f[ée]r\w*|"
    r"memorable|m[ée]morable|question|answer|r[ée]ponse)",
    re.IGNORECASE,
)
_ANSWER_WORDS = 6


_LONGEST_ACRONYM = 4


def _closes_its_question(text: str, keywords: list[re.Match[str]], spaced: str) -> bool:
    last = keywords[-1]
    if not _QUESTION_KEYWORD.search(last.group()):
        return False
    rest = spaced[last.end() :].split()
    if not 1 <= len(rest) <= _ANSWER_WORDS:
        return False
    if any(_strip_punctuation(w).casefold() in _NEGATIONS or w.casefold() in _FRAME for w in rest):
        return False  # a sentence about it: "my secret answer is wrong every time"
    answer = _strip_punctuation(rest[-1])
    after_a_note = len(rest) > 1 and rest[-2].endswith(")") and _SECURITY_CUE.search(text) is not None
    named = answer[:1].isupper() or after_a_note  # a name, or after "(security q)"
    plain = answer.isalpha() and answer.casefold() not in _GRAMMAR and not _describes(answer)
    if answer.isupper() and len(answer) <= _LONGEST_ACRONYM:
        return False  # issue 18, seventh round: "…a remplacé les questions secrètes par un SMS": an acronym, no name
    return named and plain and rest[-1][-1:] not in "?" and answer.casefold() not in _YES_OR_NO


def _gives_an_answer(text: str) -> bool:
    """In a message about a security question, a name given after "c'est" / "is" / "was" / ":" is its answer:
    "le prénom de ma grand-mère c'est Germaine, c'est la réponse à ma question secrète"."""
    if not _SECURITY_CUE.search(text):
        return False
    words = [word for word in _spaced(text).split() if _strip_punctuation(word).casefold() not in _TITLES]
    return any(
        _strip_punctuation(word.casefold()) in _FRAME
        and _gives_a_password(words[position + 1 : position + _VALUE_WORDS])
        for position, word in enumerate(words)
    )


# A single quoted word in a message about a password is the password asked about or confessed: "est-ce que
# 'marguerite' c'est un mot de passe solide ?" (but not a button's name, "j'appuie sur « Suivant »", nor a hint).
_QUOTED_WORD = re.compile(r"(?<!\w)[«\"“'‘]\s*([^\s«»\"“”'‘’]{3,40})\s*[»\"”'’](?!\w)")
_QUOTES_SOMETHING_ELSE = re.compile(
    r"\b(?:cliqu\w*|click\w*|appui\w*|tap(?:e|ped)?|press\w*|boutons?|buttons?|liens?|links?|hints?|indices?|"
    # issue 18, seventh round: an entry, a folder, a menu named; a user or a database named in an error message
    # ("mdp : voir KeePass, entrée « NAS »", 'password authentication failed for user "postgres"')
    r"entr[ée]es?|entry|entries|dossiers?|folders?|menus?|onglets?|tabs?|rubriques?|sections?|for user|"
    r"(?:user|utilisateur|role|database|base)\s*[\"'«])",
    re.I,
)


# Issue 18, seventh round: a quoted key then ":" is JSON or YAML, whose quoted words are keys and other fields' values
# ('{"username": "alice", "password": ""}'); a password's own value there is read as a setting (`_secret_setting`).
_QUOTED_KEY = re.compile(r"[\"'][\w.-]{1,40}[\"']\s*:")


# Issue 18, seventh round: a command line's option, then its value: 'ssh-keygen -C "alice@laptop"', '-Name "bob"'. Only
# a password's own option gives a password ("-p", "--password", "-Password", "/p:").
_OTHER_OPTION_BEFORE = re.compile(r"(?<!\S)(?!-p\b|--?pass\w*|/p:)(?:--?[A-Za-z][\w-]{0,30}|/[a-z]{1,10}:?)\s+$", re.I)
_LONGEST_OPTION = 40


def _option_value(previous: str) -> bool:
    return _OTHER_OPTION_BEFORE.fullmatch(previous + " ") is not None


_SETTING_BEFORE = re.compile(r"([A-Za-z_][\w.]{0,30})\s?=\s?$")


def _quotes_one_word(text: str) -> bool:
    if _QUOTES_SOMETHING_ELSE.search(text) or _QUOTED_KEY.search(text):
        return False
    for quoted in _QUOTED_WORD.finditer(text):
        word = quoted.group(1)
        if _OTHER_OPTION_BEFORE.search(text, max(0, quoted.start() - _LONGEST_OPTION), quoted.start()):
            continue  # issue 18, seventh round: another option's value: 'New-LocalUser -Name "stagiaire" -Password …'
        if _STAND_IN.fullmatch(word):
            continue  # issue 18, eighth round: a stand-in quoted ('password="test"' in a fixture)
        setting = _SETTING_BEFORE.search(text, max(0, quoted.start() - _LONGEST_OPTION), quoted.start())
        if setting and not _PASSWORD_NAME.search(setting.group(1)):
            continue  # issue 18, eighth round: another setting's value: "log_statement = 'all'"
        plain = not _describes(word) or word.casefold() in _GREETINGS
        if plain and not _PASSWORD_WORD.search(word) and not _named_as_bad(word, text):
            return True
    return False


def _names_it_at_the_end(text: str) -> bool:
    """The value closing the message after a comma: a name after a hint ("c'est le nom de mon chien, Oscar"), or
    any word right after the password word ("j'ai remis l'ancien mot de passe, mirabelle")."""
    name = _NAME_AT_THE_END.search(text)
    if name is None:
        return False
    word = name.group(1)
    if _describes(word) or word.casefold() in _GRAMMAR or word.casefold() in _CLAUSE_GOES_ON or _TALK.fullmatch(word):
        return False
    if _named_as_bad(word, text):
        return False  # "les pires mots de passe : 123456, password, azerty"
    before = _spaced(text[: name.start()]).split()
    tail = " ".join(before[-4:])
    if any(keyword.end() == len(tail) for keyword in _PASSWORD_WORD.finditer(tail)):
        return True
    announced = any(w in (":", "=") for w in before)  # "mon mot de passe : deux mots collés, chatnoir"
    return (word[0].isupper() or (announced and len(word) >= 6)) and any(
        _strip_punctuation(w.casefold()) in _FRAME for w in before
    )


def _answers_its_question(text: str) -> bool:
    """A security question, then its answer (one to three words) after ":" or the question's "?": "question
    secrète : … ton père ? Toulon", "question de sécurité (nom de ton instit de CP) : Mme Girard"."""
    answer = _ANSWER_AFTER_QUESTION.search(text) if _SECURITY_QUESTION.search(text) else None
    if answer is None:
        return False
    words = [_strip_punctuation(word).casefold() for word in answer.group(1).split()]
    if len(words) > 1:  # a name of two or three words: "tonton gégé" ends like an adjective but names
        return all(word and word not in _GRAMMAR and word not in _DESCRIPTIVE for word in words)
    raw = _strip_punctuation(answer.group(1))
    return all(word and word not in _GRAMMAR and (raw[:1].isupper() or not _describes(word)) for word in words)


# An answer given to a question that was just asked: "Ville de naissance de ton père ? j'ai répondu Tlemcen",
# "for 'mother's maiden name' I answered Kowalski", "…mon mot mémorable, j'ai mis clafoutis".
_ANSWERED = re.compile(
    r"(?:[?,:»\"”'’]\s*(?:et |and )?"
    r"(?:j'(?:ai|avais) (?:mis|r[ée]pondu|choisi|[ée]crit)|i (?:put|answered|wrote|chose))"
    r"|\?\s*(?:A|R|r[ée]ponse|answer)\s*:"  # "Q: city you were born in? A: Tourcoing"
    # and on one line with a slash: "Q: make of your first car / A: Fiat Panda", "… / réponse : Montbéliard" (issue
    # 18, seventh round: "réponse", "answer")
    r"|\s/\s*(?:(?-i:A|R)|r[ée]ponse|answer)\s*:)\s+"
    # the answer ends the message, or its clause: "…» et j'ai mis tartiflette, mon mari le sait"
    r"([^\s?]+(?:\s+[^\s?]+){0,2}?)\s*(?:[.!]?\s*$|,\s)",
    re.IGNORECASE,
)
_PUT_DOWN = re.compile(r"\b(?:mis|r[ée]pondu|choisi|[ée]crit|put|answered|wrote|chose)\b", re.IGNORECASE)
# …to a question about a name, a place or a first thing, or after a password word.
_ASKED_FOR_AN_ANSWER = re.compile(
    r"\b(?:nom|name|pr[ée]nom|ville|city|town|born|naissance|premi\w+|first|maiden|jeune fille|rue|street|[ée]cole|"
    r"school|instit\w*|teacher|prof|"
    # issue 18, sixth round: a best friend, a childhood's, a pet's, a car's make (not a favourite: surveys ask those)
    r"meilleure? amie?|best friend|d'enfance|childhood|animal|pet|voiture|car|make)\b",
    re.IGNORECASE,
)
_YES_OR_NO = _words("oui non yes no ok okay rien nothing personne nobody")


# A person asking is talk, not a form: "elle m'a demandé mon nom, j'ai mis Camille", "he asked what my favourite film
# was"; a bank or a site asking is not ("la banque m'a demandé mon mot mémorable, j'ai mis clafoutis").
_ASKED_BY_SOMEONE = re.compile(
    r"\b(?:he|she|they|il|elle|ils|elles|on|prof|teacher|m[eè]re|p[eè]re|mum|mom|dad|friend|copine?|pote)\s+"
    r"(?:m'a |m'ont |a |ont |had |has )?(?:asked|demand[ée]|demandait|pos[ée])"
    r"|\b(?:sondage|survey|quiz|poll)\b",  # a survey asks for opinions (issue 18, sixth round)
    re.IGNORECASE,
)


def _answered(text: str, *, cued: bool) -> bool:
    answer = _ANSWERED.search(text)
    if answer is None or not (cued or _ASKED_FOR_AN_ANSWER.search(text[: answer.start()])):
        return False
    if _ASKED_BY_SOMEONE.search(text[: answer.start()]):
        return False
    if answer.group().endswith(" ") and not _PUT_DOWN.search(answer.group()):
        return False  # a clause after it is read after "j'ai mis" only: "Q: what city? A: London, we moved in May"
    words = [_strip_punctuation(word) for word in answer.group(1).split()]
    return all(
        word
        and word.casefold() not in _GRAMMAR
        and word.casefold() not in _YES_OR_NO
        and (word[0].isupper() or not _describes(word))  # "Tourcoing" names, "amazing" describes
        for word in words
    )


# Accounts and passwords listed with arrows: "gmail → Poisson.Rouge.17, banque → 582039".
_ARROW_PAIR = re.compile(r"([^\W\d][\w.' ]{0,24}?)\s*(?:→|->|=>)\s*(\S+)")
# Words joined with a number, asked about: "would Pineapple-Canyon-47 be hackable?".
_WORDS_AND_A_NUMBER = re.compile(r"(?:[^\W\d_]{3,}[-._]){2,4}\d{1,4}[!?*]?|\d{1,4}(?:[-._][^\W\d_]{3,}){2,4}")
_STRENGTH_TALK = re.compile(
    r"\b(?:hackable|crack\w*|piratable|cassable|guess\w*|devin\w*|brute|solide|strong|secure|s[ûu]r|safe|"
    r"risqu\w*|risky|faible|weak)\b",
    re.IGNORECASE,
)


def _lists_passwords(text: str) -> bool:
    for pair in _ARROW_PAIR.finditer(text):
        value = _strip_punctuation(pair.group(2))
        if _NOT_AN_ACCOUNT.search(pair.group(1)) or not value:
            continue
        if password_like(value) or _LONG_NUMBER.fullmatch(value) or _WORDS_AND_A_NUMBER.fullmatch(value):
            return True
    return False


# Issue 18, seventh round: a password word, then a noun it names a thing with: "password reset links", "password
# manager price comparison: …", "password hashing" (not the password itself).
_THING_NAMED_AFTER = (
    r"s?\s+(?:reset|resets|manager|managers|hash\w*|storage|stor\w+|polic\w+|fields?|forms?|changes?|recovery|"
    r"generat\w+|reuse|rotation|expir\w+|strength|length|requirements?|rules?|validat\w+|check\w*|hints?|links?|"
    r"tokens?|database|db|columns?|vault|management|audits?|protection|less|spraying|cracking|attacks?|source|"
    r"oubli[ée]|perdu|gestionnaire|de r[ée]cup\w+|de r[ée]initialisation)\b"
)
_NAMES_A_THING = re.compile(_THING_NAMED_AFTER, re.IGNORECASE)


# The value named by how it was set: "j'ai mis soleil comme mot de passe", "i set my laptop password to pumpkin".
_SET_AS = re.compile(
    r"\b(?:mis|mets|met|choisi|pris|utilis[ée]|utilise|used?|chose|picked|put|rentr[ée]|entr[ée]|tap[ée]|entered|typed)\s+"
    r"([\"«“]\s?[^\"»”\n]{1,40}?\s?[\"»”]|'[^'\n]{1,40}'|\S+)\s+"
    r"(?:comme|as|pour|for)\s+"
    r"(?:mon |ma |my |le |la |the |un |a )?(?:nouveau |new )?(?:mot de passe|mdp|password|pin|code|r[ée]ponse|answer|"
    r"phrase secr[èe]te|passphrase|phrase de passe)"
    # issue 18, seventh round: not a thing named after passwords: "UUIDv4 for password reset links", "a tool for
    # password hashing", "pour le code source"
    r"(?!" + _THING_NAMED_AFTER + ")"
    r"|\b(?:set|changed?|chang[ée]|mis|mets)\s+(?:\S+\s+){0,3}?(?:password|mot de passe|mdp|pin|code)"
    r"\s+(?:to|en|à)\s+(\S+)"
    # "pour" / "for" takes a quoted value only: "changer mon mdp pour 'jeluiappartiens'", not "pour être tranquille"
    r"|\b(?:set|chang\w*|mis|mettre|mets)\s+(?:\S+\s+){0,3}?(?:password|mot de passe|mdp|pin|code)"
    r"\s+(?:pour|for|par|with|avec)\s+([«\"“'‘]\s?[^\s«»\"“”'‘’]{3,40}\s?[»\"”'’])"
    # "je me connecte avec Basilic!", "I log in with Tulip2021"
    r"|\b(?:me connecte|je me logue|log ?in|logs? me in|sign in|signed in|logged in)\s+(?:avec|with|using)\s+(\S+)\s*$",
    re.IGNORECASE,
)
# A login given as "user / password": "the login for the family computer is mum / roses".
_LOGIN_PAIR = re.compile(
    r"(?<![/?=&])\b(?:logins?|identifiants?|credentials|connexion|acc[èe]s|log-?in details)\b"  # not in an address
    # issue 18, seventh round: "user / password", not a path's last step ("… per IP on /api/login")
    r".{0,40}?(?<![/\w])[^\s/]+(?:\s+/\s*|/)([^\s/]+)\s*$",
    re.IGNORECASE,
)
# A login and then its password, field by field: "SSID Maison, password coucoulesloulous".
_CREDENTIALS = re.compile(
    r"\b(?:ssid|login|user(?:name)?|identifiant|id|e-?mail|compte|account)\s*:?\s*\S+[,;/]?\s+"
    r"(?:password|passwd|mdp|pw|pwd|pass|mot de passe)\b\s*[:=]?\s*(\S+)\s*$",  # "\b": "Passcode" (seventh round)
    re.IGNORECASE,
)


# issue 18, eighth round: "username and password fields" names two fields, gives no value
_FIELDS_WORDS = _words("field fields champ champs column columns colonne colonnes input inputs parameter parameters")


# Issue 18, eighth round: personal data named, not given ("= date of birth", "c'est ton prénom"): a hint or a policy;
# the data itself given ("date de naissance 12031985") is read by `_BIRTH_DATE_PASSWORD` first.
_PERSONAL_DATA_NAMED = re.compile(
    r"(?:my |ma |mon |your |ta |ton |the |la |le |votre |sa |son )?(?:date of birth|date de naissance|birthday|"
    r"birth ?date|dob|anniversaire|first name|pr[ée]nom|surname|nom de famille|maiden name)\b(?!\s*[:=]?\s*\d)",
    re.IGNORECASE,
)
_GENERAL_PASSWORDS = re.compile(r"\b(?:for|pour)\s+(?:les\s+)?(?:passwords|mots de passe|mdps)\b", re.IGNORECASE)
_QUIZ_ANSWER = re.compile(r"\b(?:answer|r[ée]ponse)\b", re.IGNORECASE)
_QUIZ_WORDS = re.compile(r"\b(?:quiz+|trivia|blind test|jeu t[ée]l[ée]vis[ée]|game show)\b", re.IGNORECASE)


def _named_value(text: str, patterns: tuple[re.Pattern[str], ...] = (_SET_AS, _CREDENTIALS, _LOGIN_PAIR)) -> bool:
    for pattern, match in ((pattern, pattern.search(text)) for pattern in patterns):
        value = next((group for group in match.groups() if group), "") if match else ""
        plain = _strip_punctuation(value)
        if match and pattern is _LOGIN_PAIR and _DETERMINED_PAIR.search(match.group()) and not password_like(plain):
            continue  # issue 18, ninth round: "the login screen shows my name / photo" names things
        if plain == "-" or ("=" in plain and not password_like(plain)) or plain.casefold() in _FIELDS_WORDS:
            continue  # issue 18, seventh round: a reference stood here (`_without_references`), or a setting
        if match and _GENERAL_PASSWORDS.search(text, match.start(), match.end() + 2) and not password_like(plain):
            continue  # issue 18, eighth round: "our fixtures use faker for passwords": a tool for passwords in general
        if match and _QUIZ_ANSWER.search(match.group()) and _QUIZ_WORDS.search(text):
            continue  # issue 18, eighth round: "I put Paris as my answer for … at the pub quiz": a quiz's answer
        is_a_year = plain.isdigit() and len(plain) == 4 and plain[:2] in ("19", "20")  # "changé le code en 2023"
        talked_about = _named_as_bad(plain, text)  # "people still use qwerty as a password"
        if plain and plain.casefold() not in _GRAMMAR and not _describes(plain) and not is_a_year and not talked_about:
            return True
    return False


# What follows a password word is read this far at most: no password is longer, and a message of repeated cues
# ("mdp : mdp : …", 4096 characters) is then read in linear time, not quadratic.
_VALUE_WORDS = 16
_VALUE_CHARACTERS = 240


_C_EST = re.compile(r"\b([cC]) est\b")  # "c est" typed without its apostrophe


def _spaced(text: str) -> str:
    """ ":", "=" and "->" set apart as words, "password's" read as "password 's" and "c est" as "c'est"."""
    return _C_EST.sub(r"\1'est", _SPACED_PUNCTUATION.sub(lambda m: f" {m.group(1) or m.group(3) or ':'} ", text))


_IN_BRACKETS = re.compile(r"\(([^()\s]{3,})\)")
# After a hint, the name itself, closing the message: "mon mot de passe c'est le nom de mon chien, Oscar".
_NAME_AT_THE_END = re.compile(r",\s*([^\W\d_]{3,}(?:['-][^\W\d_]+)?)[.!]?\s*$")


# Capitals and digits are a model or a reference, except near a password word: "… et 2024, LTM2024".
_CAPITALS_AND_DIGITS = re.compile(r"[A-Z]{2,5}\d{2,5}")


# Someone made to hand a password over: "il exige mon mot de passe", "my partner demands my passwords". What
# follows is about the demand ("pour « prouver »", "c'est risqué ?"), rarely the password: only a strong value counts.
_DEMANDED = re.compile(
    r"\b(?:exig\w*|demand\w*|r[ée]clam\w*|veu[tx]|voulait|voudrait|wants?|wanted|asks?|asked|asking|oblig\w*|"
    r"forc\w*|force[sd]?|donn\w*|give|gives|giving|gave|share|sharing|partag\w*|envo[iy]\w*|send|sending|"
    r"hand(?:ed|ing)? over|insist\w*|made me|makes me|make me|fait|conna[iî]tre|knowing)\b(?:\s+\S+){0,5}\s*$",
    re.IGNORECASE,
)
_DEMAND_WINDOW = 60  # characters before a password word
_SUBJECTS = _words("it that this ce ça ca cela")  # "…, it was blueberry": a new clause that gives it


# Issue 18, seventh round: a field's own name before ":" or "=", in a config, markup or a log line, says the value
# that follows is that field's ("secretKeyRef name: db-secret key: password", 'type="password"', "user_id=1183"):
# an identifier (snake_case or camelCase), or a word that names a field where fields are listed (two ":" or "=" at
# least: "my gpg key: the purple walrus sings" is a passphrase given).
_FIELD_NAMES = _words(
    "key name type id field label class value ref column colonne champ attribut attribute param parameter variable "
    "var env host port user username uid gid mode format"
)
_IDENTIFIER = re.compile(r"[a-z]\w*_\w+|[a-z]+[A-Z]\w*")


def _names_a_field(word: str, listed_fields: bool) -> bool:
    name = _strip_punctuation(word)
    if _PASSWORD_WORD.search(name):
        return False
    return (listed_fields and name.casefold() in _FIELD_NAMES) or _IDENTIFIER.fullmatch(name) is not None


_LISTED_FIELDS = 2


def _asks_about_it(value: list[str]) -> bool:
    """A plain word and a question mark after a demand: "…, c'est malsain ?" asks about the demand."""
    first = value[0] if value else ""
    asks = first.endswith("?") or (len(value) > 1 and value[1] == "?")
    return asks and _strip_punctuation(first).isalpha()


def _demanded(spaced: str, keywords: list[re.Match[str]]) -> bool:
    return all(_DEMANDED.search(spaced[max(0, k.start() - _DEMAND_WINDOW) : k.start()]) for k in keywords)


_COUNT_BEFORE = re.compile(r"(?<![\w.,])\d{1,6}\s+$")


def _password_in_context(text: str, spaced: str, keywords: list[re.Match[str]]) -> bool:
    """`text` has password words: `keywords`, found in `spaced` (the text as `_spaced` reads it)."""
    raw_tokens = text.split()
    tokens = [_strip_punctuation(t) for t in raw_tokens]
    # Talk about notorious ones reads like a demand: what follows is about them ("… comme mot de passe c'est fou").
    talks_about_bad_ones = any(t and _named_as_bad(t, text) for t in tokens)
    demanded = _demanded(spaced, keywords) or talks_about_bad_ones
    if any(
        _CAPITALS_AND_DIGITS.fullmatch(t) and not _reads_as_product(t) and not _names_products_or_code(t)
        for t in tokens
    ):
        return True
    for keyword in keywords:
        after = keyword.end() + (spaced[keyword.end() : keyword.end() + 1] == " ")
        bracketed = _IN_BRACKETS.match(spaced, after)
        if bracketed and not _describes(bracketed.group(1)):
            return True  # "j'ai dû lui dire mon mdp (nounours)"
    options = [i > 0 and "-" in raw_tokens[i - 1][:2] and _option_value(raw_tokens[i - 1]) for i in range(len(tokens))]
    candidates = [t for t, option in zip(tokens, options, strict=True) if t and not option]  # not '-C "alice@laptop"'
    if any(password_like(t) and not _named_as_bad(t, text) for t in candidates) or _answers_its_question(text):
        return True
    if _spells_letter_by_letter(text.split()) or _answered(text, cued=True):
        return True  # "c'est grand M, petit o, u, s, s, e, 7, 7, arobase — voilà le mdp"
    if _gives_an_answer(text) or _names_it_at_the_end(text) or (_quotes_one_word(text) and not demanded):
        return True
    if not demanded and _closes_its_question(text, keywords, spaced):
        return True
    if _named_value(text) or any(
        _LONG_NUMBER.fullmatch(t) and not (t.startswith("0") and len(t) == 10) and not _named_as_bad(t, text)
        for t in tokens
    ):
        return True  # "… c'est ma date de naissance à l'envers 8891203"
    listed_fields = spaced.count(" : ") + spaced.count(" = ") >= _LISTED_FIELDS
    for keyword in keywords:
        if _COUNT_BEFORE.search(spaced, max(0, keyword.start() - 8), keyword.start()):
            continue  # issue 18, seventh round: counted, not given: "1 mot de passe = 1 site", "12 passwords: …"
        if _NAMES_A_THING.match(spaced, keyword.end()):
            continue  # issue 18, seventh round: "password manager price comparison: Bitwarden $10/yr"
        if spaced[keyword.start() - 1 : keyword.start()] in ("&", "?") and keyword.start():
            continue  # issue 18, seventh round: a request's parameter ("username=test&password=test"), an example
        following = spaced[keyword.end() : keyword.end() + _VALUE_CHARACTERS].split()
        framed = False
        for position, word in enumerate(following[: _COLON_GAP + 1]):
            # After a first "c'est" that describes, only ":" or "=" may still give it: "c'est le même : Poupette".
            # "…est super simple, c'est tennis", "…my password, it was blueberry"
            new_clause = position > 0 and following[position - 1].endswith(",")
            after_comma = position > 1 and following[position - 2].endswith(",")
            new_clause = new_clause or (after_comma and following[position - 1].casefold() in _SUBJECTS)
            weak = ((framed or demanded) and not new_clause) or position > _FRAME_GAP
            frames = (":", "=") if weak else _GIVING
            if _strip_punctuation(word.casefold()) in frames or word in frames:
                value = following[position + 1 : position + _VALUE_WORDS]
                if position and _strip_punctuation(following[position - 1]).casefold() in _ASKING:
                    continue  # "…, which is better?"
                if word in (":", "=") and position and _names_a_field(following[position - 1], listed_fields):
                    continue  # issue 18, seventh round: 'type="password"', "user_id=1183": that field's value
                if value and value[0].rstrip(",;") == "-":
                    continue  # issue 18, seventh round: "pw = getpass.getpass() puis…": a reference, no value
                given = next((_strip_punctuation(w) for w in value if _strip_punctuation(w)), "")
                if _STAND_IN.fullmatch(given):
                    continue  # issue 18, eighth round: a fixture's 'password="test"', a stand-in, then prose
                if _PASSWORD_WORD.fullmatch(given):
                    continue  # issue 18, eighth round: "test password in CI: password=…": the next cue's value
                if _PERSONAL_DATA_NAMED.match(" ".join(value)):
                    continue  # issue 18, eighth round: "PDF password = date of birth is what my bank does": a hint
                if (demanded and _asks_about_it(value)) or (talks_about_bad_ones and given.isalpha()):
                    continue  # "il réclame le code de mon ordi, c'est malsain ?", "…123456 comme mdp, c'est fou"
                if word == "'s" and position and _names_products_or_code(following[position - 1]):
                    continue  # issue 18, eighth round: a product's possessive: "1Password's Secret Key"
                if word == "'s" and [_strip_punctuation(w).casefold() for w in value] in (["name"], ["names"]):
                    continue  # "I can't remember what I put as my first pet's name": a question, no answer
                if _gives_a_password(value) and not _named_as_bad(given, text):
                    return True
                if _spells_a_password(value, cued=True):
                    return True
                announced = _SENTENCE_CUE.search(" ".join([keyword.group(), *following[:position]])) is not None
                shortest = 3 if announced or word == "=" else 4
                if (announced or word in (":", "=")) and _gives_a_sentence(value, shortest=shortest):
                    return True
                framed = framed or word != "'s"  # "'s" may be a possessive: "my first dog's name was Biscuit"
    return False


# A key given after a network's name: "SSID SFR_8C40, clé 4kq9-zzt7-mw2p", "Network: TP-Link key: Hk29mQ7xLp".
_WIFI_KEY = re.compile(r"\b(?:ssid|r[ée]seau|network|wi-?fi)\b[^\n]{0,60}?\b(?:cl[ée]|key)\s*[:=]?\s*(\S+)", re.I)


# The answer before its cue: "first car: a red Peugeot 205, that's my security answer", "… : Mme Perrin, c'est ma
# question de sécu", "… : une 205 rouge, c'est ma réponse secrète"; a name or a number in it.
_ANSWER_THEN_CUE = re.compile(
    r":\s*((?:[^\s,:]+\s+){0,3}[^\s,:]+)\s*,\s*"
    r"(?:c'est|that's|that is|it's|this is|voil[àa])\s+(?:ma|my|mon|la|the)\s+"
    r"(?:(?:security|secret|memorable)\s+(?:question|answer|word)|"
    r"(?:question|r[ée]ponse)s?\s+(?:secr[èe]te|de s[ée]cu))"
)
# Issue 18, seventh round: a security question's subject, "=", then a name, as a form's field is filled: "name of first
# school = Jules Ferry", "first car = Renault 5", "rue de mon enfance = Jean Jaurès" (with ":" it is a story's
# heading: "my first school: a tiny one in Lyon").
_QUESTION_FIELD = re.compile(
    r"\b(?:(?:first|premi[eè]re?)\s+(?:school|[ée]cole|car|voiture|job|boulot|teacher|ma[iî]tresse|pet|animal|"
    r"street|rue|boss|patron|concert|love|amour)|(?:rue|street|ville|city|town) (?:de (?:mon |ma )?enfance|"
    r"(?:of|from) (?:my )?childhood))\s*=\s*(?:\d+\s+)?(?-i:[A-Z0-9])",
    re.IGNORECASE,
)
# Issue 18, seventh round: a value, then what it is: "the secret is hydrangea, that's the wifi password", "le code
# c'est tournesol, c'est mon mdp" (the cue after its value, as for a security answer above).
_VALUE_THEN_CUE = re.compile(
    r"(?:\b(?:is|c'est|est|was)|:)\s+([^\s,]{3,40})\s*,\s*(?:c'est|that's|that is|it's|this is)\s+"
    r"(?:ma|my|mon|le|la|the|our|notre|son|his|her)\s+(?:[\w-]+\s+){0,2}"
    r"(?:password|passcode|passphrase|mot de passe|mdp|code|pin)\b",
    re.IGNORECASE,
)


def _value_then_cue(text: str) -> bool:
    value = _VALUE_THEN_CUE.search(text)
    if value is None:
        return False
    word = _strip_punctuation(value.group(1))
    return bool(word) and word.casefold() not in _GRAMMAR and not _describes(word) and not _named_as_bad(word, text)


# Talk about words as words: 'the word "password" in French is "mot de passe" right?'.
_ABOUT_THE_WORD = re.compile(
    r"\b(?:the (?:word|term)|le (?:mot|terme)|in (?:french|english|spanish|german)|en (?:français|anglais|espagnol|"
    r"allemand)|means?|meaning|veut dire|signifie|translat\w*|tradu\w*|spell\w*|s'[ée]crit|orthograph\w*)\b",
    re.IGNORECASE,
)
_OPENS_A_QUOTE = re.compile(r"[\"'«“‘`]\s?$")
_CLOSES_A_QUOTE = re.compile(r"\s?[\"'»”’`](?!s\b)")  # not "password 's", a possessive


def _quoted_itself(spaced: str, keyword: re.Match[str]) -> bool:
    """The password word quoted as a word: 'the word "password" in French'."""
    before, after = spaced[max(0, keyword.start() - 2) : keyword.start()], spaced[keyword.end() : keyword.end() + 4]
    return bool(_OPENS_A_QUOTE.search(before) and _CLOSES_A_QUOTE.match(after))


# A quoted phrase right after the password word, or its account: "phrase de passe « le chat dort sur le radiateur »".
_QUOTED_PHRASE = re.compile(r"\s*(?:[^\s«\"“]+\s+){0,3}?[«\"“]\s*([^»\"”]{3,80}?)\s*[»\"”]")


def _quoted_phrase_after(spaced: str, keywords: list[re.Match[str]]) -> bool:
    if _demanded(spaced, keywords):
        return False
    for keyword in keywords:
        quoted = _QUOTED_PHRASE.match(spaced, keyword.end())
        phrase = quoted.group(1) if quoted else ""
        words = phrase.split()
        if len(words) < 2 or _strip_punctuation(words[0]).casefold() in _REASONS or _PASSWORD_WORD.search(phrase):
            continue  # a reason given, in scare quotes: 'he demands my passwords "because he loves me"'
        if _gives_a_sentence(words, shortest=2):
            return True
    return False


# Issue 18, sixth round: a quoted phrase, then its role ("j'ai mis « Trois Chats Dorment … » comme phrase").
_QUOTED_THEN_ROLE = re.compile(
    r"[«\"“]\s*([^»\"”\n]{3,80}?)\s*[»\"”]\s*(?:comme|as|en tant que)\s+(?:ma |mon |my |the |le |la |a |an )?"
    r"(?:phrase|passphrase|pass ?phrase|mot de passe|password|mdp|passcode)\b",
    re.IGNORECASE,
)


def _quoted_phrase_then_role(text: str) -> bool:
    for quoted in _QUOTED_THEN_ROLE.finditer(text):
        phrase = quoted.group(1)
        words = phrase.split()
        if not _QUOTED_WORDS.start <= len(words) < _QUOTED_WORDS.stop or "?" in phrase or _PASSWORD_WORD.search(phrase):
            continue
        if _strip_punctuation(words[0]).casefold() not in _REASONS and not _talks_about_bad_ones(text):
            return True  # not 'people use "let me in" as a password', nor « parce que je t'aime »
    return False


_QUOTED_WORDS = range(3, 11)


_REASONS = _words("because cause coz cuz parce pour car puisque since so to for in as comme au afin")


# Four plain words or more joined by dashes, in one case, none of them grammar: "mer-soleil-sable-vague".
_JOINED_WORDS = re.compile(r"[^\W\d_]{3,}(?:-[^\W\d_]{3,}){3,7}")


def _joined_words(token: str) -> bool:
    if not _JOINED_WORDS.fullmatch(token):
        return False
    parts = token.split("-")
    one_case = all(p.islower() for p in parts) or all(p[0].isupper() and p[1:].islower() for p in parts)
    return one_case and not any(p.casefold() in _GRAMMAR for p in parts)


# An online account's name, "=" or an arrow, then one plain word and nothing else: "netflix -> chaussette". Only
# the services people keep passwords for: "météo : soleil" is no account; a word that describes ("gmail : bloqué",
# "instagram : privé") is news about the account, not its password.
_SERVICE_AND_WORD = re.compile(
    r"(?:(?:mon|ma|my|le|la|the) )?(?:gmail|google|outlook|hotmail|yahoo|icloud|apple ?id|netflix|facebook|fb|"
    r"instagram|insta|snapchat|snap|tiktok|twitter|amazon|paypal|ebay|leboncoin|vinted|spotify|deezer|disney\+?|"
    r"linkedin|whatsapp|microsoft|proton(?:mail)?)"
    r"\s*(?:->|→|=>|=)\s*((?-i:[^\W\d_A-Z][^\W\d_]{2,29}))[.!]?",  # not ":", which introduces news: "gmail : spam"
    re.IGNORECASE,
)
# …nor its plan or its state: "spotify : premium", "icloud: plein"
_ACCOUNT_NEWS = _words(
    "premium gratuit gratuite payant payante famille family free paid basic standard plein pleine full vide empty"
    " down lent lente slow mort dead ferme closed suspendu suspendue suspended hs bug marche"
)


def _names_a_service_password(text: str) -> bool:
    match = _SERVICE_AND_WORD.fullmatch(text)
    if match is None:
        return False
    word = match.group(1).casefold()
    return not (_describes(word) or word in _GRAMMAR or word in _ACCOUNT_NEWS or _TALK.fullmatch(word))


# A word and a number asked about as a term is no password: "base32 c'est quoi ?", "what is mp3?".
_ASKS_WHAT_IT_IS = re.compile(
    r"\b(?:c'est quoi|qu'est-ce que c'est|ça veut dire quoi|what(?:'s| is| are| does)|veut dire|means?)\b", re.I
)


# Issue 18, sixth round: a password spelt with dashes, letters and digits ("s-o-l-e-i-l-4-2"); and one named by what it
# protects: "la session est protégée par Elodie.1993", "verrouillé avec Camille_88" (a word, a mark, digits).
_SPELT_LETTERS = 4
_SPELT_WITH_DASHES = re.compile(r"(?<![\w-])[A-Za-z0-9](?:-[A-Za-z0-9]){5,40}(?![\w-])")
_PROTECTED_BY = re.compile(
    r"\b(?:prot[ée]g[ée]e?s?|verrouill[ée]e?s?|s[ée]curis[ée]e?s?|protected|locked|secured)\s+(?:par|avec|by|with)\s+"
    r"([^\W\d_]{2,30}[._!@#$%&*-]+\d{2,6})(?![\w])"
)


def _spelt_with_dashes(text: str) -> bool:
    for match in _SPELT_WITH_DASHES.finditer(text):
        value = match.group()
        if any(c.isdigit() for c in value) and sum(c.isalpha() for c in value) >= _SPELT_LETTERS:
            return True  # a word spelt, not "a-b-c-1-2-3"
    return False


def _has_password(text: str) -> bool:
    stripped = text.strip()
    if "-" in stripped and _spelt_with_dashes(stripped):
        return True
    if _PROTECTED_BY.search(stripped):
        return True
    if any(q in stripped for q in '«"“') and _quoted_phrase_then_role(stripped):
        return True
    if ("→" in stripped or "->" in stripped or "=>" in stripped) and _lists_passwords(stripped):
        return True
    if len(stripped) <= _ACCOUNT_AND_PASSWORD_LENGTH and _names_a_service_password(stripped):
        return True
    if "=" in stripped and _QUESTION_FIELD.search(stripped):
        return True
    if "," in stripped and _value_then_cue(stripped):
        return True
    answer = _ANSWER_THEN_CUE.search(stripped)
    if answer and any(c.isupper() or c.isdigit() for c in answer.group(1)):
        return True  # "nom de ma première maîtresse d'école : Mme Perrin, c'est ma question de sécu"
    spaced = _spaced(stripped) if _PASSWORD_WORD.search(stripped) else ""  # most messages have no password word
    keywords = list(_PASSWORD_WORD.finditer(spaced))
    if keywords and _ABOUT_THE_WORD.search(spaced):
        keywords = [k for k in keywords if not _quoted_itself(spaced, k)]
    if keywords:  # not a word quoted as a word: 'the word "password" in French is "mot de passe"'
        return _password_in_context(stripped, spaced, keywords) or _quoted_phrase_after(spaced, keywords)
    tokens = stripped.split()
    if "-" in stripped and any(_joined_words(_strip_punctuation(t)) for t in tokens):
        return True  # "j'utilise mer-soleil-sable-vague pour le coffre-fort"
    if len(tokens) == 1 and (password_like(tokens[0]) or password_like(_strip_punctuation(tokens[0]))):
        return True
    if _answers_its_question(stripped) or _answered(stripped, cued=False):
        return True
    if (
        _STRENGTH_TALK.search(stripped)
        and not _HANDLE.search(stripped)  # "is Jean-Luc-42 strong enough as a username?"
        and any(_WORDS_AND_A_NUMBER.fullmatch(_strip_punctuation(t)) for t in tokens)
    ):
        return True  # "would Pineapple-Canyon-47 be hackable?"
    if _spells_a_password(tokens, cued=False):
        return True  # "c'est maman tiret zero six tiret mille neuf cent soixante"
    wifi_key = _WIFI_KEY.search(stripped)
    if wifi_key and password_like(_strip_punctuation(wifi_key.group(1))):
        return True  # "SSID: Bbox-7C21 / clé: E6C4A2F9D1B3"
    account = _ACCOUNT_AND_PASSWORD.fullmatch(stripped) if len(stripped) <= _ACCOUNT_AND_PASSWORD_LENGTH else None
    if account and (_NOT_AN_ACCOUNT.search(account.group(1)) or _USER_NAME.search(account.group(1))):
        account = None
    if _named_value(stripped, (_SET_AS, _LOGIN_PAIR)):  # no password word: no field named "password" either
        return True  # "the login for the family computer is mum / roses", "je me connecte avec Basilic!"
    if account and (password_like(value := _strip_punctuation(account.group(2))) or _made_up(value)):
        return True  # after an account's name, even a brand with digits: "gmail -> Mistral2022"
    made_up = [t for t in (_strip_punctuation(t) for t in tokens) if password_like(t)]  # few messages have any
    reused = made_up and (_REUSED.search(stripped) or _REUSE.search(stripped) or _KEY.search(stripped))
    if reused and not all(_named_as_bad(t, stripped) for t in made_up):  # "qwerty123 is on every top 20 list"
        return True
    word_and_number = [t for t in made_up if _WORD_AND_NUMBER.fullmatch(t) and not _named_as_bad(t, stripped)]
    if word_and_number and not _HANDLE.search(stripped) and not _ASKS_WHAT_IT_IS.search(stripped):
        return True
    return any(
        _strongly_password_like(t) and not _named_as_bad(t, stripped) for t in (t.strip(",.;:()?`'") for t in tokens)
    )


# --- a name (a reminder's label), read more strictly ------------------------------------------------
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LONG_NUMBER = re.compile(r"\d{6,}")


def name_problem(text: str) -> Literal["secret", "email"] | None:
    """Why `text` won't do as the name of something Gaffe keeps and shows again (a reminder's label), or None.

    A name is short and has no reason to hold a password, so it is read more strictly than a message: on
    top of `detect`, a password word followed by "is" / "c'est" / ":" ("The password for my laptop is
    dragonfly"), any password-like word ("Gmail Soleil2024"), or a long number make it "secret"; an e-mail
    address, which Gaffe would otherwise keep and echo, makes it "email"."""
    text = normalise(text).strip()
    if detect(text) is not None or _LONG_NUMBER.search(text):
        return "secret"
    words = [_strip_punctuation(word) for word in _spaced(text).split()]
    if any(word and password_like(word) for word in words):
        return "secret"
    for keyword in _PASSWORD_WORD.finditer(text):
        after = text[keyword.end() :].split()
        if any(_strip_punctuation(word.casefold()) in _FRAME or word in _FRAME for word in after):
            return "secret"
    return "email" if _EMAIL.search(text) else None


# --- issue 18, eighth round: kinds a stranger's corpus (held-out 7) found, and talk that gives none ---------------
# Gift-card and voucher codes (PCS, Transcash, Neosurf, Google Play, Apple, Steam, Amazon…) are scammers' favourite
# payment: a user typing one is giving the money away. A brand or "carte cadeau" named, and a code shaped as theirs:
# 16 digits in groups of four, or 10–20 capitals and digits mixed, in dashed groups or in one piece; not near a promo,
# an order, a tracking or a serial number.
_GIFT_CARD_WORDS = re.compile(
    r"\b(?:pcs|transcash|neosurf|paysafe\w*|toneo|google ?play|play store|apple|itunes|app store|steam|amazon|xbox|"
    r"playstation|psn|nintendo|cartes? cadeaux?|gift ?cards?|vouchers?|coupons?|recharges?|tickets? premium)\b",
    re.IGNORECASE,
)
_GIFT_CARD_CODE = re.compile(
    r"(?<![\w/-])(?:\d{4}(?:[ -]?\d{4}){3}|(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9]{4,6}(?:-[A-Z0-9]{4,6}){1,4}"
    r"|(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{10,20})(?![\w/-])"
)
_NOT_A_GIFT_CODE = re.compile(
    r"\b(?:promo\w*|r[ée]duction|discount|remise|parrainage|referral|commande|order|suivi|tracking|colis|parcel|"
    r"facture|invoice|r[ée]f[ée]rence|serial|s[ée]rie|imei|mod[èe]le|model|produit|product|article|asin|team|bundle|sku|"
    r"identifier|identifiant)\b",
    re.IGNORECASE,
)
# A lock opened "with" a number, no code word said: "ma tablette s'ouvre avec 141414", "the shed opens with 482".
_OPENS_WITH = re.compile(
    r"\b(?:s'ouvre|ouvre|ouvrir|opens?|opened|open it|se d[ée]verrouille|d[ée]verrouill\w*|unlocks?|unlocked)\s+"
    r"(?:avec|with|using|par|en tapant|by typing)\s+(?:le |the |code |pin )?(?<![\w,.])"
    r"(\d{3,8}|\d(?: \d){2,7}|(?-i:(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{4,8}))"
    r"(?![\w-]|[.,]\d|\s?(?:€|euros?|%|clics?|clicks?|chiffres|digits|ans|years|fois|times)\b"
    r"|\s?(?:[kmg]?hz|mah|v|w|kw|mm|cm|m|km|kg|g|ms|s|sec|min|h|heures?|hours?|jours?|days?)\b)",
    re.IGNORECASE,
)
# A carrier's unlock code (8 to 16 digits) after an unlock word: "the unlock code the carrier gave me is 4093716285".
_CARRIER_UNLOCK = re.compile(
    r"\b(?:unlock|d[ée]blocage|d[ée]simlockage|d[ée]simlocker|nck)\b[^\d\n]{0,60}?(?<![\d+])\d{8,16}(?!\d)", re.I
)
# A door's keypad, an intercom, a key box, with a code of digits and a letter or of 4–8 digits a few words on:
# "door keypad at my flat: 8C453", "interphone de l'immeuble 3B47" (not an A320).
_ENTRY_CODE = re.compile(
    r"\b(?:keypad|key ?pad|interphone|intercom|keybox|key ?safe|lockbox|bo[iî]te (?:à|a) cl[ée]s)\b[^\n]{0,40}?"
    # not a port, a version, a model, a room, an extension: "intercom SIP server runs on port 5060"
    r"(?<!port )(?<!version )(?<!model )(?<!room )(?<!ext )(?<!poste )(?<!salle )"
    r"(?<![\w-])(?-i:\d{3,6}[A-Z]|\d{1,4}[A-Z]\d{2,4}|\d{4,8})(?![\w-]|[.,]\d|\s?(?:€|euros?|ans|years|h|min)\b)",
    re.IGNORECASE,
)
# A number to call or to report to is no code: "appeler le 01 84 88 12 34 pour débloquer", "report it to 7726".
_NUMBER_TO_CALL = re.compile(
    r"\b(?:appel(?:er|le|lez|é)?|rappel(?:er|le|lez)?|t[ée]l[ée]phoner|joindre|contacter|call(?:ed|ing)?|ring|dial|"
    r"report(?:ed)?|signal(?:er|ez|é|e)?|forward(?:ed)?|transf[ée]r\w*)"
    # a few words between, not a code word nor a new clause ("j'ai appelé et tapé 4821" gives a code)
    r"(?:\s+(?!code|pin|mdp|password|et\b|and\b|puis\b|then\b|mais\b|but\b)[\w']{1,12}){0,3}?"
    r"\s+\+?\d[\d .-]{2,16}\d(?!\d)",
    re.IGNORECASE,
)
# Fiction's codes are no one's: "dans le film le héros avait comme code 1234", "in the game the door code is 0451";
# one's own code in a game ("my password in the game is…") still is.
_FICTION = re.compile(
    r"\b(?:dans|in|from)\s+(?:le|la|les|un|une|the|a|this|that|ce|cette)\s+(?:film|movie|s[ée]rie|series|show|"
    r"jeu(?: vid[ée]o)?|game|video ?game|livre|book|roman|novel|[ée]pisode|episode|manga|anime|bd|comic|"
    r"dessin anim[ée]|cartoon|sc[èe]ne|scene)\b|\b(?:le|the) (?:film|movie|h[ée]ros|hero|villain|m[ée]chant)\b",
    re.IGNORECASE,
)
_OWN_SECRET = re.compile(
    r"\b(?:mon|ma|mes|my|notre|our)\s+(?:[\w']+\s+){0,2}?(?:codes?|pin|mots? de passe|mdp|passwords?|passcode)\b", re.I
)
# A card number dictated in words: "quatre neuf six deux, zéro neuf…" (Luhn-checked as in figures).
_DIGIT_NAMES = {
    **dict.fromkeys(("zéro", "zero"), "0"),
    **dict.fromkeys(("un", "une", "one"), "1"),
    **dict.fromkeys(("deux", "two"), "2"),
    **dict.fromkeys(("trois", "three"), "3"),
    **dict.fromkeys(("quatre", "four"), "4"),
    **dict.fromkeys(("cinq", "five"), "5"),
    "six": "6",
    **dict.fromkeys(("sept", "seven"), "7"),
    **dict.fromkeys(("huit", "eight"), "8"),
    **dict.fromkeys(("neuf", "nine"), "9"),
}
_DIGITS_IN_WORDS = re.compile(
    r"(?:\b(?:z[ée]ro|un|une|one|deux|two|trois|three|quatre|four|cinq|five|six|sept|seven|huit|eight|neuf|nine)\b"
    r"[\s,.-]{0,3}+){13,19}+",
    re.IGNORECASE,
)
# The expiry and the code on the back read out: "I read out the expiry 10/29 and the 3 digit code 836", "j'ai dicté la
# date 06/29 et le code de derrière 331".
_EXPIRY_AND_CODE = re.compile(
    r"\b(?:expiry|expiration|exp|expires?|date|validit[ée]|valable jusqu'(?:au|à))\b[^\n]{0,30}?"
    r"(?<![\d/])(?:0[1-9]|1[0-2])/(?:\d{2}|20\d{2})(?![\d/])[^\n]{0,60}?"
    # the code named just before it: "the 3 digit code 836", "the three numbers 517", "le code de derrière 331"
    r"\b(?:code|cvv|cvc|cryptogramme|crypto|chiffres|digits|numbers|nombres)\b\D{0,20}?"
    r"(?<![\d/.,:€$£])\d{3}(?![\d/:%€$£]|[.,]\d|\s?(?:€|euros?|ans|years|fois|times|jours|days)\b)",
    re.IGNORECASE,
)
# A security answer given with "j'ai répondu" / "I put", or a question "set to" its answer: "pour ma question de
# sécurité … j'ai répondu École Jules Ferry", "I set my mother's maiden name to Whitfield".
_ANSWER_PUT = re.compile(
    r"\b(?:j'ai r[ée]pondu|j'ai mis|j'ai [ée]crit|i answered|i put|i wrote)\s+[«\"“]?\s*"
    r"(?-i:[A-ZÀ-Ý])(?!(?:on|ui|o|ok|OK|I)\b)[\w'-]{2,}",
    re.IGNORECASE,
)
# what a security question asks (not "my favourite team", "my birth city" set to "Private"; not "la question du prof")
_SECURITY_SUBJECT = re.compile(
    r"maiden|jeune fille|\b(?:first|premi\w+)\s+\w+|born|grew up|childhood|enfance|memorable|teacher|ma[iî]tresse|"
    r"\bpet\b|school|[ée]cole|coll[èe]ge|lyc[ée]e",
    re.IGNORECASE,
)
_SET_QUESTION = re.compile(rf"{_SECURITY_SUBJECT.pattern}|security|question|answer", re.IGNORECASE)
_REFUSALS = _words("private public hidden none nothing unknown everyone friends only me n/a")
_ANSWER_CONTEXT = re.compile(r"\b(?:à la question|to the question|for the question)\b", re.IGNORECASE)
_QUIZ = re.compile(
    r"\b(?:quiz\w*|trivia|examen|exam|contr[ôo]le|interro\w*|bac|test|jeu)\b|question\s*(?:n°\s*)?\d", re.IGNORECASE
)
_SET_TO = re.compile(
    r"\bset\s+(?:my |the |our |her |his )?(?:question\s+)?([\"“'‘«][^\"”'’»\n]{3,80}[\"”'’»]|(?:[\w']+\s+){1,5}?)"
    r"\s*to\s+[\"“]?"
    r"((?-i:[A-Z])[\w'-]{1,})",
    re.IGNORECASE,
)
# An activation code (La Poste's, a bank's letter), a few more words before its ":" than a code word allows.
_ACTIVATION_CODE = re.compile(
    r"\b(?:code d'activation|activation code|code de validation|code d'acc[èe]s|access code)\b[^\n:=]{0,100}?"
    r"(?::|=|\bc'est|\bis)\s*(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9]{2,8}(?:-[A-Za-z0-9]{2,8}){0,3}(?![\w-])",
    re.IGNORECASE,
)
# A file's or a device's password said to be a birth date, then the date: "le PDF s'ouvre avec … ma date de naissance :
# 04071971", "the payslip PDF password is my DOB 23/07/1979".
_BIRTH_DATE_PASSWORD = re.compile(
    r"\b(?:mots? de passe|mdp|passwords?|s'ouvre|opens?|prot[ée]g[ée]e?|protected|code)\b[^\n]{0,60}?"
    r"\b(?:date de naissance|date of birth|dob|birthday|anniversaire|naissance)\b[^\d\n]{0,40}?(?<![\d/.-])"
    r"(?:[0-3]\d[/.-]?[01]\d[/.-]?(?:19|20)\d{2}|(?:19|20)\d{2}[/.-]?[01]\d[/.-]?[0-3]\d)(?![\d/.-])",
    re.IGNORECASE,
)


# Vendors' prefixes before fewer characters than their real keys have (a key cut short is still that key), and
# webhooks' secret URLs: "sk-q8Xm2Lz7Vt4Rb9Wn", "AIzaSyB7xQ2mLk9Vt4Rb8Wn3Ye1Pz", "hooks.slack.com/services/T0…/B0…/q8…".
_SHORT_VENDOR_KEY = re.compile(
    r"(?<![\w-])(?:sk-(?:proj-|ant-)?|AIza|ghp_|gho_|ghs_|github_pat_|xox[abpr]-|glpat-|[sr]k_live_)"
    r"(?=[\w-]{0,80}\d)(?=[\w-]{0,80}[A-Za-z])[\w-]{10,80}"
    r"|\bhooks\.slack\.com/services/[\w/]{10,120}|\bdiscord(?:app)?\.com/api/webhooks/\d{5,25}/[\w-]{10,100}"
)
# A backup code of 8–16 letters and digits mixed through, after a recovery word and a code word: "mon code de
# secours twitter 8jx2mq4zp7wr".
_BACKUP_CODE = re.compile(
    r"\b(?:codes? de (?:secours|r[ée]cup[ée]ration)|(?:backup|recovery) codes?)\b[^\n]{0,30}?(?<![\w-])"
    r"((?=[A-Za-z0-9]{0,15}\d)(?=[A-Za-z0-9]{0,15}[A-Za-z])[A-Za-z0-9]{8,16})(?![\w-])",
    re.IGNORECASE,
)
# A password described, then given after ":": "le nom de ma fille à l'envers suivi de 33 : aninaL33".
_DESCRIBED_THEN_GIVEN = re.compile(
    r"\b(?:à l'envers|suivi de|suivi d'|followed by|backwards|reversed|en majuscules?|with a capital)\b"
    r"[^\n:]{0,40}:\s*(\S+)",
    re.IGNORECASE,
)


def _card_in_words(text: str) -> bool:
    for match in _DIGITS_IN_WORDS.finditer(text):
        digits = "".join(_DIGIT_NAMES[_fold(word)] for word in re.findall(r"[^\W\d_]+", match.group()))
        if digits[0] in "23456" and luhn_valid(digits):
            return True
    return False


def _has_gift_card_code(text: str) -> bool:
    return (
        _GIFT_CARD_WORDS.search(text) is not None
        and _NOT_A_GIFT_CODE.search(text) is None
        and _GIFT_CARD_CODE.search(text) is not None
    )


def _gives_a_security_answer(text: str) -> bool:
    if _ANSWER_PUT.search(text) and (
        _SECURITY_CUE.search(text) or (_ANSWER_CONTEXT.search(text) and _SECURITY_SUBJECT.search(text))
    ):
        return not _QUIZ.search(text)
    # a question's keyword, or a question quoted: 'I set "Where did you meet your spouse" to Blackpool pier'
    return any(
        (_SET_QUESTION.search(match.group(1)) or (match.group(1).count(" ") >= 2 and match.group(1)[0] in "\"“'‘«"))
        and match.group(2).casefold() not in _REFUSALS
        for match in _SET_TO.finditer(text)
    )


def _eighth_round_kind(text: str) -> SecretKind | None:
    """Issue 18, eighth round: the kinds held-out 7 missed, each read by its own shape and cue."""
    if text.count(" ") >= _SHORTEST_CARD - 1 and _card_in_words(text):
        return SecretKind.CARD
    if _gives_a_security_answer(text):
        return SecretKind.PASSWORD
    described = _DESCRIBED_THEN_GIVEN.search(text) if ":" in text else None
    if described and password_like(_strip_punctuation(described.group(1))):
        return SecretKind.PASSWORD
    return _figures_of_the_eighth_round(text) if _A_DIGIT.search(text) else None


_SHORTEST_CARD = 13
_A_DIGIT = re.compile(r"\d")


def _figures_of_the_eighth_round(text: str) -> SecretKind | None:
    """The eighth round's kinds that hold a figure (most messages hold none)."""
    if "/" in text and _EXPIRY_AND_CODE.search(text):
        return SecretKind.CARD
    if _SHORT_VENDOR_KEY.search(text):
        return SecretKind.API_TOKEN
    if _has_gift_card_code(text) or _ACTIVATION_CODE.search(text):
        return SecretKind.CODE
    backup = _BACKUP_CODE.search(text)
    if backup and _class_changes(backup.group(1)) >= 3:
        return SecretKind.CODE
    cleaned = _NUMBER_TO_CALL.sub(" ", text)
    if _OPENS_WITH.search(cleaned) or _CARRIER_UNLOCK.search(cleaned) or _ENTRY_CODE.search(cleaned):
        return SecretKind.CODE
    return SecretKind.PASSWORD if _BIRTH_DATE_PASSWORD.search(text) else None


# --- issue 18, ninth round: kinds a stranger's corpus (held-out 8) found, each read by its own cue ------------------
# Issue 18, ninth round: a value with no cue word but what one types it for: "Cerisier_Blanc_2019 c'est ce que je tape
# chaque matin pour ouvrir ma session", "I type Gardenia_2020 every morning to unlock my laptop". Typing and opening
# both named, and a password-like word (not "I type fast every morning", "je tape mon rapport pour ouvrir la réunion").
_TYPED = re.compile(
    r"\b(?:je (?:la |le )?tape|tape|taper|tapant|I type|type|typing|rentre|saisis|enter|entered|punch in)\b", re.I
)
_TO_OPEN = re.compile(
    r"\b(?:ouvrir|ouvre|d[ée]verrouiller|d[ée]bloquer|me connecter|allumer|acc[ée]der|unlock|log ?in(?:to)?|sign in|"
    r"open|start|access)\b"
    r"[^\n]{0,30}?\b(?:session|ordi\w*|pc|mac|laptop|computer|t[ée]l[ée]phone|phone|portable|tablette|tablet|compte|"
    r"account|bo[iî]te|mail|windows|poste)\b",
    re.IGNORECASE,
)
# Issue 18, ninth round: a login said to be a password ("my Windows login is Gabriel2015", "Login for the family PC is
# smithfamily.77"), or a user and a password ("login is ring@mydomain.net / Doorbell_2022"); not "my login is my email
# address", "the login page is slow", "the login screen shows my name / photo".
_LOGIN_IS = re.compile(
    r"\blogin\b(?:\s[\w'-]{1,20}+){0,4}?(?:\s(?:is|c'est|est|=)|\s?:)\s+(\S{1,80}+)(?:\s?/\s?(\S{1,80}+))?",
    re.IGNORECASE,
)
# Issue 18, ninth round: a PIN first, then what it is for and a doubt ("4419 pour ma carte c'est trop facile à
# deviner ?", "0512 for the phone, the day we met"); not a year ("1999 pour ma carte grise"), a price ("45 € pour"),
# a phone's plan or case.
_PIN_THEN_DEVICE = re.compile(
    r"^\W{0,3}(?!(?:19|20)\d\d\b)(\d{4,6})\s(?:(?:is|c'est|est)\s(?:too|trop|a bit|un peu)\s\w{1,12}\s)?"
    r"(?:pour|for|sur|on)\s(?:ma|mon|my|the|le|la)\s(?:(?:debit|bank|credit)\s)?"
    r"(?:carte(?: bleue| bancaire)?|card|t[ée]l[ée]phone|phone|portable|mobile|cb)\b"
    r"(?!\s?(?:grise|plan|case|bill|line|ligne|number|num[ée]ro|"
    r"forfait|de bus|navigo|vitale))[^\n]{0,80}?(?:trop|too|facile|easy|simple|risqu\w*|bad|mauvais|safe|s[ûu]r|"
    r"guess\w*|deviner|birthday|anniversaire|date|the day|le jour|nul|\?)",
    re.IGNORECASE,
)
# Issue 18, ninth round: a cash machine's PIN typed ("Pour le distributeur il faut taper 7702"), not "taper 3 fois".
_CASH_MACHINE_PIN = re.compile(
    r"\b(?:distributeur|dab|guichet|cash ?machine|atm|cashpoint|tpe|terminal)\b[^\n]{0,40}?"
    r"\b(?:taper|tape|tap[ée]|type|typed|enter|entered|entrer|saisir|composer|faire|punched in|keyed in)\s(\d{4,6})\b"
    r"(?!\s?(?:€|euros?|fois|times|%|(?:pour|to) (?:retirer|withdraw)|as the amount|comme montant))",
    re.IGNORECASE,
)
# Issue 18, ninth round: a one-time code spaced in pairs, received by text ("J'ai reçu 58 21 07 par sms"): three pairs
# exactly (a phone number has five, a time two).
_CODE_IN_PAIRS = re.compile(
    r"(?<!\d)(?<!\d )(?<!\bdu )(?<!\bde )(?<!\ble )(?<!from )(?<!\bau )(?<!\bto )"
    r"\d{2} \d{2} \d{2}(?! ?\d)(?! ?(?:h|€|x|%))"
)
_BY_TEXT = re.compile(r"\b(?:sms|texto|text|textos|message|re[çc]u|received|got|code)\b", re.IGNORECASE)
# Issue 18, ninth round: an unlock pattern given as dots ("my android pattern is a Z: 1-2-3-5-7-8-9"); not "1-2-3
# soleil" with no pattern named, nor "how many dots does a pattern have? 9?".
_PATTERN_DOTS = re.compile(
    r"\b(?:sch[ée]ma|pattern|motif)\b[^\n]{0,40}?(?<![\d-])[1-9](?:\s?[-–>,]\s?[1-9]){3,8}(?![\d-])", re.IGNORECASE
)
# Issue 18, ninth round: a safe's or a padlock's code put ("le coffre-fort de l'hôtel j'ai mis 070707"), not "j'ai mis
# mes bijoux", "I set the safe to lock after 3 tries", "j'ai mis 20 €".
_SAFE_SET = re.compile(
    r"\b(?:coffres?(?:-forts?)?|safe|cadenas|padlock|casier|locker)\b[^\n]{0,50}?"
    r"\b(?:j'ai mis|mis|I put|I set|put|set it to|choisi|chose|r[ée]gl[ée] sur|set to|entered|rentr[ée])\s(\d{4,8})\b"
    r"(?!\s?(?:€|euros?|\$|fois|times|%))",
    re.IGNORECASE,
)
# Issue 18, ninth round: a notebook's list of accounts and their secrets ("banque 3847, mail Capucine_21, wifi ok"):
# two accounts or more in a list, one followed by a password-like word or by 4–8 digits (not "banque fermée, mail en
# panne, wifi ok").
_LISTED_ACCOUNT = re.compile(
    r"(?:^|[,;:]\s?)(?:banque|bank|e?-?mail|gmail|imp[ôo]ts|wifi|wi-fi|netflix|amazon|facebook|insta(?:gram)?|ameli|"
    r"caf|box|ordi|pc|laptop|cb|carte|card|phone|t[ée]l[ée]phone|tel|code|paypal|impots\.gouv|free|orange|sfr|bouygues|"
    r"doctolib|leboncoin|vinted)\s([^\s,;]{1,40}+)(?=\s?[,;]|$)",
    re.IGNORECASE,
)
# Issue 18, ninth round: an INI file's section, then its password key ("[smtp] mot_de_passe = Courriel_Mairie_44"): the
# section read as code otherwise hid the value.
_INI_PASSWORD = re.compile(
    r"\[[\w. -]{1,30}\]\s?(?:mot_de_passe|motdepasse|mdp|password|passwd|pass_word|pwd|pass|secret)"
    r"\s?[=:]\s?(\S{1,80}+)",
    re.IGNORECASE,
)


# Issue 18, ninth round: a notorious code asked about ("1234 c'est trop facile pour un code de carte ?", "is 0000 too
# easy as a PIN?") is talk about bad codes: every number in it is a run or a repeat, and the message asks whether it
# is too easy. "4419 pour ma carte c'est trop facile ?" gives one.
_ASKED_TOO_EASY = re.compile(
    r"\b(?:trop (?:facile|simple|[ée]vident)|too (?:easy|simple|obvious|weak)|a bad (?:pin|code)|un mauvais code)\b"
    r"[^\n]{0,60}\?",
    re.IGNORECASE,
)
_A_CODE_NUMBER = re.compile(r"(?<![\d.,])\d{4,8}(?![\d.,])")


# Codes ranked by how common they are ("2580 is the most common PIN after 1234 and 1111"), with no "my" or "mon", are
# statistics, no one's code.
_MOST_COMMON = re.compile(
    r"\b(?:most (?:common|used|popular)|le plus (?:courant|utilis[ée]|fr[ée]quent)|"
    r"les plus (?:courants|utilis[ée]s))\b",
    re.IGNORECASE,
)
_MINE = re.compile(r"\b(?:my|mine|mon|ma|mes)\b", re.IGNORECASE)


def _asks_about_a_notorious_code(text: str) -> bool:
    numbers = _A_CODE_NUMBER.findall(text)
    if numbers and _MOST_COMMON.search(text) and not _MINE.search(text):
        return True
    return bool(numbers) and all(_WEAK_CODE.fullmatch(n) for n in numbers) and _ASKED_TOO_EASY.search(text) is not None


# Issue 18, ninth round: "the login screen shows my name / photo", "login is slow on the new laptop / tablet": a pair
# whose first half follows "my", "the", "new"… names things, not a user; a password-like second half still counts.
_DETERMINED_PAIR = re.compile(
    r"\b(?:the|my|a|an|new|his|her|le|la|les|mon|ma|mes|un|une|son|sa)\s[^\s/]{1,40}+\s?/\s?", re.IGNORECASE
)


# A sum before "pour ma carte" is a price or a limit ("3000 pour ma carte de crédit comme plafond", "1500 pour mon
# portable reconditionné"), a phone number's start ("0612 pour mon téléphone ? non, mon numéro"): no PIN.
_AN_AMOUNT = re.compile(
    r"\b(?:plafond|limite?|limit|prix|price|pay[ée]|paid|co[ûu]te?|costs?|cher|expensive|€|euros?|reconditionn[ée]|"
    r"occasion|refurbished|num[ée]ro|number|indicatif|prefix)|[€$£]",
    re.IGNORECASE,
)


def _an_email(token: str) -> bool:
    return "@" in token and "." in token.rpartition("@")[2]


def _login_gives_a_password(text: str) -> bool:
    for match in _LOGIN_IS.finditer(text):
        first, second = (_strip_punctuation(group or "") for group in match.groups())
        if second and password_like(second):
            return True
        if not second and password_like(first) and not _an_email(first):
            return True
    return False


_LISTED_CODE = re.compile(r"(?!(?:19|20)\d\d$)\d{4,8}")  # not a year: "rapports : banque 2023, impôts 2024"
_KEYS_PRESSED = re.compile(r"(?i)(?:ctrl|alt|cmd|shift|win|windows|del|suppr|fn|option)\+")  # "Ctrl+Alt+Del"


def _lists_account_secrets(text: str) -> bool:
    values = [_strip_punctuation(match.group(1)) for match in _LISTED_ACCOUNT.finditer(text)]
    return len(values) >= 2 and any(
        (password_like(value) and not _an_email(value)) or _LISTED_CODE.fullmatch(value) for value in values
    )


def _typed_to_open(text: str) -> bool:
    return (
        _TYPED.search(text) is not None
        and _TO_OPEN.search(text) is not None
        and any(password_like(_strip_punctuation(word)) and not _KEYS_PRESSED.search(word) for word in text.split())
    )


def _ninth_round_kind(text: str) -> SecretKind | None:
    """Issue 18, ninth round: the kinds held-out 8 missed, each read by its own cue."""
    lowered = text.casefold()
    if "login" in lowered and _login_gives_a_password(text):
        return SecretKind.PASSWORD
    if "[" in text and (ini := _INI_PASSWORD.search(text)) and password_like(_strip_punctuation(ini.group(1))):
        return SecretKind.PASSWORD
    if _typed_to_open(text):
        return SecretKind.PASSWORD
    if "," in text and _lists_account_secrets(text):
        return SecretKind.PASSWORD
    if not _A_DIGIT.search(text):
        return None
    if (_PIN_THEN_DEVICE.search(text) and not _AN_AMOUNT.search(text)) or _CASH_MACHINE_PIN.search(text):
        return SecretKind.CODE
    if _SAFE_SET.search(text):
        return SecretKind.CODE
    if _PATTERN_DOTS.search(text) or (_CODE_IN_PAIRS.search(text) and _BY_TEXT.search(text)):
        return SecretKind.CODE
    return None


# --- the one entry point ---------------------------------------------------------------------------
# Issue 18, sixth round: what only NAMES a secret or a value is no value. A variable or a call in code
# (`${DB_PASSWORD}`, `os.getenv("DB_PASSWORD")`, `{{ vault_db_password }}`, `process.env.ADMIN_PASSWORD`) and a
# checksum named as one ("sha256: 9f86d0…") are read as a placeholder.
_CODE_REFERENCE = re.compile(
    r"\$\{[^{}\s]{1,80}\}|\$\([^()\n]{1,80}\)|\{\{[^{}\n]{1,80}\}\}|%[A-Za-z_]\w{0,60}%|\bprocess\.env\.\w+"
    r"|\b(?:\w{1,30}\.){0,3}(?:getenv|environ|env|get|get_password|getpass|get_secret|read_secret)(?:\([^()\n]{0,80}\)|\[[^\[\]\n]{0,80}\])"
    # issue 18, seventh round: any call or subscript in code computes a value, it gives none: "password = input()",
    # "getpass.getpass()", 'request.form["password"]', "check_password_hash(user.pw, password)" (a method, a function
    # with "_" in its name, no argument or a quoted one; not "Soleil(42)", a password)
    r"|\b(?:[a-z_]\w{0,30}\.){1,3}[A-Za-z_]\w{0,30}(?:\([^()\n]{0,80}\)|\[[^\[\]\n]{0,80}\])"
    r"|\b[A-Za-z]\w{0,30}_\w{1,30}\([^()\n]{0,80}\)|\b[A-Za-z_]\w{0,30}\((?:\s*|\s*[\"'][^\"'()\n]{0,80}[\"']\s*)\)"
    r"|\b\w{1,30}::\w{1,30}\([^()\n]{0,80}\)|\$\w{1,30}->\w{1,30}"  # PHP: "Hash::make(…)", "$request->password"
    r"|\b\w{1,30}\[[\"'][^\[\]\n]{0,80}\]|\b[a-z_]\w{0,30}\([a-z_][\w.]{0,30}+(?:,\s*[a-z_][\w.]{0,30}+){0,3}\)"
)
_CHECKSUM = re.compile(
    r"\b((?:hash\w*|sha-?\d*|md5|checksum|empreinte|fingerprint|digest|somme de contr[ôo]le)(?:\s+[\w']{1,10}){0,3}"
    r"\W{0,3})(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{32,128}(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_REFERENCE_MARKS = ("$", "{{", "(", "[", "%", "process.env")
# Issue 18, seventh round: markup's tags and code's comparisons hold no value: '<label for="password">Mot de passe
# </label>', "if (password !== confirmPassword)".
_MARKUP_OR_COMPARISON = re.compile(r"</?[A-Za-z][\w-]{0,30}(?:\s[^<>\n]{0,200})?/?>|\s?[!=]==?\s?")


_QUOTED_LITERAL = re.compile(r"[\"']([^\"'\n]{1,80})[\"']")


def _reference(code: re.Match[str]) -> str:
    """A dash for a reference, or the code as it is when it passes a password as a literal (issue 18, seventh round):
    "psycopg2.connect(user='app', password='Hirondelle42')" gives one, "getpass.getpass('Mot de passe : ')" none."""
    literals = (literal.strip() for literal in _QUOTED_LITERAL.findall(code.group()))
    return code.group() if any(password_like(literal) for literal in literals) else "-"


# Issue 18, eighth round: developers' and admins' talk that holds no value. An elided value ("PASSWORD '...'",
# "password=...", « ****** », "<password>"), a digest left out ("@sha256:..."), a command that GENERATES a secret
# ("openssl rand -base64 24", "pwgen -s 20 1": the output is not in the message), a policy's functions ("length(8) and
# digits(1)") are read as a dash, as a reference is.
_ELIDED = re.compile(
    r"(?<=[=:])\s?(?:\.{2,}|…|\*{3,}|x{3,}|X{3,}|<[\w -]{1,30}>)(?![\w.*])"
    r"|[\"'«`]\s?(?:\.{2,}|…|\*{2,}|x{3,}|X{3,}|<[\w -]{1,30}>)\s?[\"'»`]"
    r"|(?<=PASSWORD )(?:\.{2,}|…)|(?<=IDENTIFIED BY )<[\w -]{1,30}>"
)
_DIGEST = re.compile(r"@\b(?:sha(?:1|224|256|384|512)|md5|blake2[bs]?):(?:\.{2,}|…|[0-9a-fA-F]{8,128}+)", re.IGNORECASE)
_GENERATOR = re.compile(
    r"\b(?:openssl rand|pwgen|apg|xkcdpass|diceware|gpg --gen-random|uuidgen|head -c)"
    r"(?:\s+(?:-{1,2}[\w-]{1,20}|\d{1,4}))*+"
    r"|/dev/u?random\b",
    re.IGNORECASE,
)
_POLICY_CALL = re.compile(r"\b[a-z][A-Za-z]{2,30}\(\d{1,3}\)")
_POLICY_WORD = re.compile(r"\b(?:polic\w*|politique|r[èe]gles?|rules?|realm)\b", re.IGNORECASE)
# Issue 18, eighth round: a famous example given as the example ("un mot de passe comme « cheval correct agrafe
# batterie »", a fixture's "hunter2") is no one's password; said as one's own with no such word, it still is.
_FAMOUS_EXAMPLE = re.compile(
    r"[\"'«“]?\s?(?:\b(?:correct|horse|battery|staple)(?:[\s,-]{1,3}(?:correct|horse|battery|staple)){3}\b"
    r"|\b(?:cheval|correct|agrafe|batterie)(?:[\s,-]{1,3}(?:cheval|correct|agrafe|batterie)){3}\b|\bhunter2\b)\s?[\"'»”]?",
    re.IGNORECASE,
)
# Issue 18, eighth round: a key derivation's iterations are counts ("PBKDF2 at 260000 iterations, bump it to 600000?")
_ITERATIONS = re.compile(r"\b(?:it[ée]rations?|rounds|work factor|cost factor)\b", re.IGNORECASE)
_COUNT_OF_ITERATIONS = re.compile(r"(?<![\w.,])\d{4,7}(?![\w.,])")
# Issue 18, eighth round: a test's fixture quoting a password word and digits ('password="secret123"' in a question
# about linters) quotes the generic stand-in; any other literal in a fixture is still read as a value.
_FIXTURE_WORDS = re.compile(
    r"\b(?:fixtures?|unit tests?|tests? unitaires?|pytest|conftest|mocks?|bandit|semgrep|gitleaks|linters?)\b", re.I
)
_GENERIC_LITERAL = re.compile(
    r"[\"'](?:secret|password|passw0rd|motdepasse|mdp|pass|admin|test|changeme)\d{0,6}[\"']", re.I
)
_AS_AN_EXAMPLE = re.compile(
    r"\b(?:comme|like|such as|e\.g\.|exemple|example|xkcd|fixtures?|tests?|classic|famous|c[ée]l[èe]bre|genre|meme)\b",
    re.IGNORECASE,
)


# Issue 18, ninth round: talk that held-out 8 read as a value. A number masked in a quoted scam ("appelez le 09 74 12 xx
# xx"), a cipher's name ("AES-256-GCM", "ChaCha20-Poly1305"), a configuration file's path ("~/.docker/config.json"):
# none is a secret, and each is read as a dash.
_MASKED_NUMBER = re.compile(r"(?<![\w.])(?:\d{1,4}[ .]?){1,4}(?:[xX*]{2}[ .]?){1,4}(?![\w.])")
_CIPHER_NAME = re.compile(
    r"\b(?:AES|ChaCha20|XChaCha20|Camellia|3DES|Blowfish|Twofish|Serpent|RSA|ECDSA|ECDH|Ed25519|X25519|HMAC)"
    r"(?:-[A-Za-z0-9]{1,10}){1,3}\b",
    re.IGNORECASE,
)
# Issue 18, ninth round: a checklist's statuses ("login : done, password : done, 2FA : done"): two or more, each a
# step's state, no value.
_CHECKLIST_STATUS = re.compile(
    r"(?<=:)\s?(?:done|fait|faite|termin[ée]e?|todo|to do|pending|checked|en cours|[àa] faire|activ[ée]e?|chang[ée]e?|"
    r"enabled|changed|updated|mis [àa] jour)(?=\s?(?:[,;.]|$))",
    re.IGNORECASE,
)
_CONFIG_PATH = re.compile(
    r"(?<![\w~/])~?/(?:[\w.-]{1,40}/){1,8}[\w.-]{1,40}\.(?:json|ya?ml|ini|conf|cfg|toml|env|txt|xml|properties)\b"
)


_IMAGE_TAG_IN_TEXT = re.compile(rf"(?<![\w@:/.-])(?:{_IMAGE_TAG.pattern})(?![\w-])")  # "postgres:16.2-alpine"


_GENERATOR_HINTS = ("rand", "pwgen", "apg", "xkcdpass", "diceware", "uuidgen", "head -c")


def _dash(match: re.Match[str]) -> str:
    """A reference's dash after "=" or ":" (a value stood there, none given); elsewhere nothing (not read as " - ")."""
    return "-" if match.string[max(0, match.start() - 2) : match.start()].rstrip()[-1:] in ("=", ":") else " "


def _without_talk_of_values(text: str) -> str:
    """Issue 18, eighth round: what names, elides, generates or exemplifies a secret, read as no value."""
    if ":" in text:
        text = _IMAGE_TAG_IN_TEXT.sub(_dash, _DIGEST.sub(_dash, text))  # before "...": "@sha256:..." is one piece
    if any(mark in text for mark in ".…*xX<"):
        text = _ELIDED.sub(_dash, text)
    lowered = text.casefold()  # cheap look-ups first: most messages hold none of these
    if any(hint in lowered for hint in _GENERATOR_HINTS):
        text = _GENERATOR.sub(_dash, text)
    if "(" in text and (len(calls := _POLICY_CALL.findall(text)) > 1 or (calls and _POLICY_WORD.search(text))):
        text = _POLICY_CALL.sub(_dash, text)
    if ("batter" in lowered or "hunter2" in lowered) and _AS_AN_EXAMPLE.search(text):
        text = _FAMOUS_EXAMPLE.sub(_dash, text)
    if _GENERIC_LITERAL.search(text) and _FIXTURE_WORDS.search(text):
        text = _GENERIC_LITERAL.sub(_dash, text)
    if any(hint in lowered for hint in ("ration", "round", "factor")) and _ITERATIONS.search(text):
        text = _COUNT_OF_ITERATIONS.sub("n", text)
    return _without_names_of_no_value(text, lowered)


def _without_names_of_no_value(text: str, lowered: str) -> str:
    """Issue 18, ninth round: a masked number, a cipher's name, a configuration file's path, a checklist's statuses,
    read as a dash."""
    if "xx" in lowered or "**" in text:
        text = _MASKED_NUMBER.sub(_dash, text)
    if "-" in text:
        text = _CIPHER_NAME.sub(_dash, text)
    if "/" in text:
        text = _CONFIG_PATH.sub(_dash, text)
    if ":" in text and len(_CHECKLIST_STATUS.findall(text)) >= 2:
        text = _CHECKLIST_STATUS.sub(_dash, text)
    return text


def _without_references(text: str) -> str:
    text = _without_talk_of_values(text)
    if "<" in text or "==" in text or "!=" in text:
        text = _MARKUP_OR_COMPARISON.sub(" ", text)
    if any(mark in text for mark in _REFERENCE_MARKS):
        text = _CODE_REFERENCE.sub(_reference, _CODE_REFERENCE.sub(_reference, text))  # twice: a call inside a call
    if _A_HASH.search(text):
        text = _CHECKSUM.sub(r"\1-", text)
    return text


def detect(text: str, *, expects_number: bool = False) -> SecretKind | None:
    """The kind of secret this message carries, or None.

    `expects_number`: the question waiting for an answer expects a number, so a lone short number is
    that answer rather than a PIN or a one-time code (a card number is still a card number)."""
    try:
        return _kind_of(text, expects_number)
    finally:
        _talks_about_bad_ones.cache_clear()  # its cache holds the message read: kept for this reading only


def _kind_of(text: str, expects_number: bool) -> SecretKind | None:
    stripped = normalise(text).strip()
    if not stripped:
        return None
    if _KEY_FILE.search(stripped):
        return SecretKind.PRIVATE_KEY
    long_words = _LONG_WORD.findall(stripped)  # keys and tokens are long words: most messages have none
    if long_words:
        named_key = _KEY_WORD.search(stripped) and not _A_HASH.search(stripped)
        encoded = any(_HEX_64.search(w) or _ENCODED_KEY.search(w) for w in long_words)
        if (
            any(_PRIVATE_KEY.search(w) for w in long_words)
            or (_PRIVATE_KEY_WORDS.search(stripped) and encoded)
            or (named_key and any(_HEX_64.search(w) for w in long_words))
        ):
            return SecretKind.PRIVATE_KEY
        if any(_API_TOKEN.search(w) for w in long_words) or (
            _TOKEN_WORDS.search(stripped)
            and any(_RANDOM_WORD.search(w) or _BASE64_SECRET.fullmatch(w) for w in long_words)
        ):
            return SecretKind.API_TOKEN
    if kind := _ninth_round_kind(stripped):
        return kind
    stripped = _without_references(stripped)
    if any(c in stripped for c in "=:,-") and (setting := _secret_setting(stripped)):
        return setting
    if _is_recovery_phrase(stripped):
        return SecretKind.RECOVERY_PHRASE
    if _has_iban(stripped) or _has_account_number(stripped):
        return SecretKind.IBAN
    if _has_identity_number(stripped):
        return SecretKind.IDENTITY
    amex_cid = _AMEX_CID.search(stripped) and _AMEX.search(stripped)  # issue 18, seventh round
    security_code = _CARD_SECURITY_CODE.search(stripped) and not _NUMBER_ON_THE_BACK.search(stripped)
    if _has_card(stripped) or security_code or amex_cid:
        return SecretKind.CARD
    if _LONE_DIGITS.fullmatch(stripped) and not _DATE.fullmatch(stripped):
        if stripped.startswith("0") and len(re.sub(r"\D", "", stripped)) == 10:
            return None  # a French phone number
        return SecretKind.CODE if _lone_number_is_code(stripped, expects_number) else None
    if kind := _eighth_round_kind(stripped):
        return kind
    if _FICTION.search(stripped) and not _OWN_SECRET.search(stripped):
        return None  # issue 18, eighth round: a film's or a game's code, no one's
    uncalled = _NUMBER_TO_CALL.sub(" ", stripped) if _A_DIGIT.search(stripped) else stripped  # issue 18, eighth
    if _has_code(uncalled) and not _asks_about_a_notorious_code(uncalled):  # round: a number to call is no code
        return SecretKind.CODE  # ("appeler le 01 84 88 12 34 pour débloquer"); ninth round: "is 0000 too easy?" none
    if _has_password(stripped):
        return SecretKind.PASSWORD
    return None
