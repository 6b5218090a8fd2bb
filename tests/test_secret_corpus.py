"""The secret filter, measured on a labelled corpus (tests/corpus/) of real-looking messages.

Prints the recall (secrets caught), per kind, and the false-alarm rate (ordinary lines refused), and
fails below 95 % recall or above 0.5 % false alarms.

The rules and the first batch of each file were written together, so that batch measures little more
than coverage. Two more batches were then written as users would type, each measured before any rule
changed for it, which is the better estimate on messages the filter has never seen:
- second batch: 33 of 38 secrets caught (86.8 %), 2 false alarms in 103 lines (1.9 %);
- third batch (after learning from the second): 29 of 30 caught (96.7 %), 1 false alarm in 82 (1.2 %).
The rules were then fixed for what each batch showed, except one miss kept on purpose (a hint at a
password, "mon prénom et 1980", not the password itself).

Issue 18 added lines of the kinds an unseen corpus showed missed (passphrases, reused passwords, Wi-Fi keys,
unlock PINs, the code on the back in words, identity numbers…) and then a batch measured before any rule
changed for it: 23 of 27 caught (85.2 %), no false alarm in 40 lines. The honest figure is the held-out
corpus's (tests/corpus/heldout_*, never tuned on): `python -m bench.secret_filter` prints both; only its running
is tested here, never its figures.

Issue 18's second round (the filter overfitted: 93.5 % on that held-out corpus) wrote six more batches, blind of
every held-out line, each in its own style, each measured on the filter as it stood before any rule changed for
it, then the rules made general (a cue and a value that gives, checksums, shapes) rather than fitted to lines:
- batch A (the kinds the issue names): 67 of 76 caught (88.2 %), 3 false alarms in 137 lines (2.19 %);
- batch B (a second style): 71 of 84 (84.5 %), 5 in 166 (3.01 %);
- batch C (long, distressed, SMS spelling): 52 of 65 (80.0 %), 2 in 148 (1.35 %);
- batch D (culture names, references, idioms with "key"): 66 of 79 (83.5 %), 6 in 229 (2.62 %);
- batch E (English, devices, apps, help lines): 55 of 63 (87.3 %), 5 in 139 (3.60 %);
- batch F (casual French, Wi-Fi network names, scams): 56 of 64 (87.5 %), 6 in 166 (3.61 %);
- batch G (secrets inside stories, SMS senders, devices): 46 of 51 (90.2 %), 1 in 134 (0.75 %);
- batch H ("is my password good?", quotes of other things, music): 45 of 49 (91.8 %), 3 in 133 (2.26 %);
- batch I (what a worried user writes: stalkerware, trackers, routers, leaving): 22 of 24 (91.7 %), 1 in 222
  (0.45 %);
- batch J (user names and gamer tags, sports, pets, banks): 37 of 44 (84.1 %; one miss was a recovery phrase
  with two words outside the BIP-39 list, a labelling error fixed after), 6 in 163 (3.68 %);
- batch K (an older person's French, a grandparent's English): 34 of 35 (97.1 %), none in 114;
- batch L (English only, UK and US): 23 of 28 (82.1 %), 1 in 126 (0.79 %): English had been tuned on less.
Together 574 of 662 secrets (86.7 %) and 39 false alarms in 1,877 lines (2.08 %): on lines it has not seen, the
filter of each moment did less well than the goal (97 %, 0.5 %), and no batch was written to be easy (their
ordinary lines lean on lone product names, network names and references). Kept after them: "my password is the
quick brown fox jumps" (a sentence after "is" reads like a hint) missed; "Paris2024 c'était génial" and
"Matchbox20" flagged (a word and a number, as most passwords are).

Issue 18's third round (a second blind corpus, 89.7 % / 0.62 %, missed spelt-out passwords, security answers,
recovery keys, new identity numbers… and refused people describing coercive control) wrote its own lines of those
kinds, never that corpus's, each batch measured on the filter as it stood before any rule changed for it:
- batch M (the kinds it missed, and demands with no value: "il exige mon mot de passe pour « prouver »…"): 19 of
  52 caught (36.5 %), 6 false alarms in 67 lines (8.96 %): written to aim at the gaps, so far below any average;
- batch N (a second style: long, voice-typed, more demands and everyday numbers): 32 of 38 (84.2 %), 1 in 84
  (1.19 %). Kept after it: "the pin … is not a pin it's a word, nutmeg" missed (a lowercase word after a comma).
- batch O (a third style: teenagers, SMS spelling, "c" for "c'est"): 27 of 27 (100 %), none in 56; written by the
  same hand as the rules, so it says they cover what that hand thinks of, not what a stranger writes.

Issue 18's fourth round (a third blind corpus, 93.1 % / 0.64 %, missed passwords spelt key by key, memorable words
and answers given after their question, Belgian and Dutch numbers, unlock patterns in words, gate codes with a
letter, spaced BitLocker keys, codes texted by a named sender, lists with arrows; and refused talk about notorious
passwords and a model number) wrote its own lines of those kinds, never that corpus's, measured before any rule
changed for them:
- batch P (the kinds it missed, and talk about bad passwords, model numbers, questions with no answer): 15 of 41
  caught (36.6 %), 5 false alarms in 50 lines (10.0 %): aimed at the gaps, so far below any average;
- batch Q (a second style, after P's rules: other senders, shapes, boxes, and ordinary lines near every new rule:
  arrows in paths, times in texts, answers to everyday questions, hashes, aircraft): 19 of 22 (86.4 %), 1 in 44
  (2.27 %, "pin code of the A320 cockpit door");
- batch R (a third style, after Q's rules: "Q: … ? A: …", letters and digits dictated with no cue, runs like 4321,
  "pattern" in other senses): 12 of 17 (70.6 %), 3 in 36 (8.33 %). One of those "false alarms" was relabelled a
  secret after reading it again: "une amie a mis 0000 comme code de porte" gives a friend's door code.
- batch S (ordinary lines written against the new rules: people asking questions answered in the message, arrows in
  routes and menus, texts with times and amounts, names with dashes and numbers, lists of examples, quizzes): all 8
  secrets caught, 10 false alarms in 54 (18.5 %): a person asking ("elle m'a demandé mon nom, j'ai mis Camille") now
  reads as talk, "good" no longer asks about strength, examples in the plural or asked about are not one's code.
The rules are general: a cue and a structure (five single characters with commas; "? j'ai mis …" after a question
about a name or a place; "account → value" where the value is password-shaped), checksums (the Belgian number mod
97 when punctuated; BitLocker groups mod 11 with spaces too) and shapes (nine capitals with few vowels after an ID
word; digits and one letter after a code word).

Issue 18's fifth round (a fourth blind corpus, 93.2 % / 0.14 %, missed other countries' numbers, a SIM PUK, an
authenticator's code, "crypto visuel", seeds numbered 1. to 12., emoji between a cue and its value…) wrote six batches
of kinds no corpus had yet, each measured on the filter as it stood before any rule changed for it:
- batch T (other countries' IDs, vendors' tokens, .env lines, seeds in other word lists, coercive control with and
  without a value): 85 of 130 caught (65.4 %), 3 false alarms in 131 lines (2.29 %): aimed at the gaps;
- batch U (connection strings, keypads and key safes, backup codes, other tongues' cues, demands): 70 of 81
  (86.4 %), 3 in 100 (3.00 %);
- batch V (a plain word after a service's name, unusual frames, odd separators, mixed card separators; service names,
  menus and idioms with ":" as ordinary lines): 39 of 58 (67.2 %), none in 69. One secret was moved to the ordinary
  lines after: a CAF number, which the tuning corpus has counted as ordinary since the second round;
- batch W (a grandparent, a teenager, command lines, numbers said in tens and teens, a password imposed): 35 of 46
  (76.1 %), none in 47;
- batch X (a mix written after T to W's rules): 36 of 41 (87.8 %), none in 45;
- batch Y (typos, bank account numbers, TOTP keys, a Monero seed, symbols without digits): 29 of 34 (85.3 %), 1 in
  25 (4.00 %).
- batch Z (ordinary lines written against the round's own rules: service names before a noun, bare settings,
  platform ID numbers, a phone after "account number"; a few secrets): 13 of 14, 11 false alarms in 26 (42.3 %): the
  rule for a plain word after a service's name was narrowed to "=" and arrows after it.
Together 307 of 404 (76.0 %) and 18 false alarms in 443 lines (4.06 %). X and Y, written after most of the round's
rules, say most about recall on lines it has not seen: 65 of 75 (86.7 %), 1 false alarm in 70; Z, about how far the
new rules reach into ordinary talk.

Issue 18's sixth round (a fifth blind corpus, 96.3 % / 0.77 %, refused a device's error code, settings that only name
a secret, algorithms' names, a named checksum, a notorious password asked about, short-code senders; missed quoted
passwords, a counted code read out, an IBAN with dashes, a bare Belgian "NN", door codes with a spaced letter, backup
codes in threes, keycap digits, a password spelt with dashes or named by what it protects, "Q: … / A: …") wrote its
own lines of those kinds, never that corpus's, each batch measured before any rule changed for it:
- batch AA (ordinary lines of the false alarms' kinds): 14 false alarms in 28 lines (50 %);
- batch AB (the kinds it missed, in new words): 11 of 25 caught (44.0 %);
- batch AC (ordinary lines written against AB's rules: "protégé par Norton", "the last 4 digits: …", spelt words,
  references in threes): 3 false alarms in 20 (two already in main: "cadenas depuis 2019", "combo a-b-c-1-2-3");
- batch AD (security answers after " / A:" and « … » et j'ai mis; surveys): 4 of 5 caught, 2 false alarms in 10
  (both already in main). Kept after it: "best pizza in town? I answered Domino's" refused (a question about a town,
  then an answer, is how security answers are given).

Issue 18's seventh round (a sixth blind corpus, 97.5 % / 0.85 %, refused developers' and admins' talk: fail2ban's
"maxretry", "password = input()", argon2's "memory_cost=65536", "a 5-person shop", "UUIDv4 for password reset links";
missed a PIN said as a birth year, an Amex CID, a wallet's French phrase, two security answers, GitHub's backup codes)
wrote its own lines of those kinds, never that corpus's, each batch measured before any rule changed for it:
- batch AE (developers' and admins' talk: configs with numbers or placeholders, `input()` / `getpass()`, SQL columns,
  HTML fields, regexes, Kubernetes secrets by name, log lines, JWT claims; and real secrets in configs): 15 of 16
  caught, 14 false alarms in 73 lines (19.2 %);
- batch AF (policies and numbers about passwords, counts of people, prices; held-out 6's missed kinds in new words):
  11 of 15 caught, 4 false alarms in 57 (7.0 %);
- batch AG (more of the same: CI logs, Helm and Docker secrets by name, PAM, reset tokens; secrets in configs): 13 of
  16, 2 false alarms in 45 (4.4 %);
- batch AH (ordinary lines written against AE to AG's rules: caller IDs, job ranges, birth years near a PIN, "first
  car = a headache", database error messages): 8 false alarms in 49 (16.3 %), all 8 already in main; one of them was
  relabelled a secret after ("first pet = goldfish lol, what was yours?": a security answer handed to a quiz);
- batch AI (written after AE to AH's rules: forms' labels, "the secret is to…", codes talked about, a mix of secrets):
  21 of 22 caught, 1 false alarm in 50 (2.0 %, "…a remplacé les questions secrètes par un SMS", in main too);
- batch AJ (admins' talk of another kind: cloud and Windows command lines, SSH and GPG keys, Wi-Fi, identity
  providers, password managers, phones' and cards' settings): 3 false alarms in 52 (5.8 %: options' quoted values,
  "-passout pass:env");
- batch AK (secrets written against the round's own rules: passwords as a call's literal arguments, in a field named
  like code, after a count, an option, a ranking's word): 19 of 20 caught ("psycopg2.connect(user='app',
  password='Hirondelle42')" was read as a mere call);
- batch AL (everyday talk near cue words: the driving-licence "code", passes, recipes' secrets, quizzes, scams
  refused, screen time, shared Wi-Fi; and secrets among them): 9 of 9 caught, 1 false alarm in 55 (1.8 %, "la
  réponse à la question 4 c'est 1789": a quiz's numbered question, in main too);
- batch AM (web and mobile developers: HTML forms, React state, frameworks' hashers, tests, CI, Docker, OAuth, HMAC
  webhooks, strength meters): 4 of 4 caught, 6 false alarms in 40 (15.0 %: markup, a comparison, PHP calls, "ARG
  DB_PASS, faut…", "client_credentials : client_id", xkcd's "Tr0ub4dor&3" talked about);
- batch AN (admins and security people: scanners, pentests, SIEM queries, firewalls, VPNs, NAS, backups, disk
  encryption, default logins, Cisco, Ansible, Terraform, Kubernetes): 6 of 6 caught, 3 false alarms in 50 (6.0 %: a
  request's parameters, "mot de passe = login", "sensitive = true");
- batch AO (helpdesks and identity admins: policies' lists, error codes, notifications, tickets, AD attributes, LAPS,
  secret scanners, leaked keys revoked): 4 of 4 caught, 5 false alarms in 35 (14.3 %: a policy's list, "8-64 chars",
  a hex error code, a time's ":", a ticket's reference);
- batch AP (British everyday talk about PINs, codes and Wi-Fi, with prices and counts): 2 false alarms in 20 (10 %:
  "an 80-year-old dad", "password manager price comparison: Bitwarden $10/yr").
Together AE to AP: 102 of 112 secrets caught before their rules (91.1 %), 49 false alarms in 526 ordinary lines
(9.3 %); AI to AP, written after most of the round's rules, 63 of 65 (96.9 %) and 21 in 302 (7.0 %).

Issue 18's eighth round (held-out 7, blind, 93.3 % / 1.26 %: missed gift-card codes, unlock and door codes with no
code word, a card dictated in words, an expiry and a code read out, security answers "j'ai répondu" / "set … to", a
seed split by slashes, an activation code on a letter, a PDF's password as a birth date, a spaced parental PIN;
refused developers' talk with no value, a famous example, films' codes, a number to call) wrote its own lines of
those kinds, never that corpus's words, each batch measured on the filter as it stood before any rule changed for it:
- batch AQ (held-out 7's missed kinds in new words, and ordinary talk beside each: scams refused, lock boxes, films
  and games, numbers to call, placeholders): 13 of 32 caught, 3 false alarms in 44 (6.8 %); two of its card
  numbers in words failed the Luhn check as first written (a writing error, fixed; a real card passes it);
- batch AR (developers' and admins' talk: iterations, policies, placeholders, elided SQL, digests, generators,
  fixtures, OAuth classes; a few real secrets in configs): 7 of 10 caught, 8 false alarms in 41 (19.5 %);
- batch AS (written after AQ and AR's rules: the same kinds in a second style, and ordinary lines against the new
  rules: "s'ouvre avec une pièce", "set X to Y", quizzes, order numbers): 22 of 24 caught, 1 false alarm in 48
  (2.1 %, 'test fixtures with password="secret123"…', kept: a fixture's literal that does not say it is a stand-in
  is read as a value, since people paste real passwords into tests);
- batch AT (after AS's rules: a stranger's mix with 15–20 % developers' talk): 15 of 16 caught, no false alarm in 56;
- batch AU (ordinary lines against the round's rules: a product's ASIN near "Amazon", "opens with 433 MHz", a quiz's
  answer, dates of birth on forms; and secrets of the round's kinds in a third style): 15 of 16 caught ("intercom
  code … : 42B" missed, kept: two digits and a letter are as often a flat's number), 3 false alarms in 39 (7.7 %;
  one, a pub quiz's answer "put as my answer", in main too); a card number in words failed Luhn as first written.
- batch AV (after AU's rules: "set … to" with everyday settings, quizzes, expiry dates with counts, lockers, films,
  hints such as "PDF password = date of birth"): 10 of 10 caught, 3 false alarms in 41 (7.3 %: "set my favourite team
  to Arsenal", "set my birth city to Private", and the hint, in main too).
- batch AW (everyday French and English near the new rules: answers to a teacher's, a doctor's, a form's question,
  doors opened with keys and apps, the number on the back of a card, tools for passwords in general): 6 of 7 caught
  (an expiry and "le code de derrière" after "la date"), 9 false alarms in 37 (24.3 %: six answers "à la question"
  of no security question, from this round's own rule; three in main too).
- batch AX (a stranger's everyday mix after AW's rules: lockers, gift cards refused, keypads broken, answers to
  callers, expiry dates of passports, numbers to call): 8 of 8 caught, no false alarm in 36; no rule changed for it.
- batch AY (developers' and admins' talk near the round's rules: Apple's Team ID, Google Play orders, ports, TLS
  expiry dates, on-call numbers, digests, DOB fields, hashed backup codes): 1 of 2 caught (a Google key cut shorter
  still), 2 false alarms in 28 (7.1 %: "Apple Team ID is ABCDE12345", "intercom SIP server … port 5060").
Together 97 of 125 before their rules (77.6 %, aimed at the gaps), 29 false alarms in 370 (7.8 %); AS to AY, written
after most of the round's rules, 77 of 83 (92.8 %) and 18 in 285 (6.3 %).

Issue 18, ninth round (held-out 8 read: its misses' and false alarms' kinds, in words of my own), each batch measured
on the filter as it stood before any rule changed for it:
- batch AZ (values with no cue but what they open or when one types them, "login is" a password or a user / password,
  a PIN then its card or phone and a doubt, a cash machine's "taper 4490", codes in pairs by SMS, patterns as dots,
  a safe's "j'ai mis", notebook lists, an INI section's password; ordinary numbers asked about, years, prices, "I type
  fast", scams quoted with masked numbers, cipher names, `npm login`): 6 of 24 caught, 3 false alarms in 44 (6.8 %:
  "1234 c'est trop facile pour un code de carte ?", "is 0000 too easy as a PIN?", "the login screen shows my name /
  photo", all three in main too).
- batch BA (after AZ's rules: the same kinds in a second style; ordinary lines against the new rules: "2010 pour ma
  carte grise", "taper 2 fois", SMS from a short number, padlocks and stickers, ChaCha20-Poly1305, RSA-4096,
  `az login` and its cache file): 22 of 22 caught (main: 7), 1 false alarm in 42 ("login is slow on the new laptop /
  tablet", in main too).
- batch BB (after BA's rules: a stranger's mix in a third style, "je rentre X pour accéder à mon poste", "punched in",
  "réglé sur", "sur ma CB c'est nul", lists naming Free and Orange; ordinary: amounts typed at a cash machine, "20 30
  40 % off", "Ctrl+Alt+Del", years in a list, a checklist "login : done, password : done", "0800 for the phone line"):
  8 of 16 caught (main: 4), 7 false alarms in 42 (16.7 %; main: 1, the checklist).
- batch BC (after BB's rules: secrets in a fourth style, "composer 1180", "my pattern goes 3-2-1-4-7-8-9"; ordinary:
  prices and limits "pour ma carte", codes ranked as the most common, cipher suites, `aws sso login` and its cache,
  masked scams with "****", a roof box's litres, safes' batteries): 12 of 12 caught (main: 6), 2 false alarms in 30
  (6.7 %: "3000 pour ma carte de crédit comme plafond", "2580 is the most common PIN after 1234 and 1111", the second
  in main too).
- batch BD (after BC's rules: "en tapant", "j'ouvre ma boîte mail", "Login for the shop's till is …"; ordinary: "1500
  pour mon portable reconditionné", "0612 pour mon téléphone ? non, c'est mon numéro", a checklist "2FA : activé, mot de
  passe : changé", scores in threes, a car's boot): 6 of 8 caught (main: 1), 3 false alarms in 28 (10.7 %; main: 1,
  the checklist); kept: "1908 pour le téléphone, la naissance de ma grand-mère" missed (a year is read as a year).
Together 54 of 82 before their rules (65.9 %; main 24 of 82), 16 false alarms in 186 (8.6 %); BA to BD, written after
AZ's rules, 48 of 58 (82.8 %) and 13 in 142 (9.2 %).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.core.sensitive import SecretKind, detect
from tests.support import secret_corpus

CORPUS = Path(__file__).parent / "corpus"
MIN_RECALL = 0.95
MAX_FALSE_ALARMS = 0.005


def _secrets() -> list[tuple[SecretKind, str]]:
    raw = yaml.safe_load((CORPUS / "secrets.yaml").read_text(encoding="utf-8"))
    return [(SecretKind(kind), text) for kind, texts in raw.items() for text in texts]


def _ordinary() -> list[str]:
    lines = (CORPUS / "ordinary.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def test_the_corpus_is_big_and_covers_every_kind() -> None:
    secrets = _secrets()
    assert len(secrets) >= 150 and len(_ordinary()) >= 400
    assert {kind for kind, _ in secrets} == set(SecretKind)


def test_recall_and_false_alarms_on_the_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    secrets, ordinary = _secrets(), _ordinary()
    found = {(kind, text): detect(text) for kind, text in secrets}
    per_kind, caught, right_kind = Counter[SecretKind](), Counter[SecretKind](), Counter[SecretKind]()
    for (kind, _), detected in found.items():
        per_kind[kind] += 1
        caught[kind] += detected is not None
        right_kind[kind] += detected == kind
    missed = [text for (_, text), detected in found.items() if detected is None]
    false_alarms = [(text, detect(text)) for text in ordinary if detect(text) is not None]
    recall = sum(caught.values()) / len(secrets)
    kind_accuracy = sum(right_kind.values()) / len(secrets)
    false_alarm_rate = len(false_alarms) / len(ordinary)
    with capsys.disabled():
        print(f"\nsecret filter: recall {recall:.1%} of {len(secrets)} secrets (right kind {kind_accuracy:.1%}),")
        print(f"  false alarms {false_alarm_rate:.2%} of {len(ordinary)} ordinary lines")
        for kind in SecretKind:
            print(f"  {kind:16} {caught[kind]:3}/{per_kind[kind]:<3} caught, {right_kind[kind]:3} with the right kind")
        for text in missed:
            print(f"  missed: {text!r}")
        for text, kind in false_alarms:
            print(f"  false alarm ({kind}): {text!r}")
    assert recall >= MIN_RECALL
    assert false_alarm_rate <= MAX_FALSE_ALARMS


def test_the_held_out_corpus_reads_and_is_as_big_as_promised() -> None:
    """Only that it reads and is as big as promised: its figures are printed by bench/secret_filter.py, not asserted."""
    corpus = secret_corpus.load(*secret_corpus.CORPORA["held-out"])
    assert len(corpus.secrets) >= 150 and len(corpus.ordinary) >= 400
    assert all(detect(text) in (None, *SecretKind) for _, text in corpus.secrets)
