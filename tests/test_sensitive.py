"""The secret filter on the cases the issue names, on context (a question expecting a number), and in the engine."""

from __future__ import annotations

import unicodedata

import pytest

from bot.core import sensitive
from bot.core.dialogue import Content, TextInput
from bot.core.engine import Command, Pick, SecretRefused, State, Text, step
from bot.core.sensitive import SecretKind, detect, normalise

# What the shipped filter let through, with the kind each must now be refused as.
MISSED_BEFORE = [
    ("mon mot de passe c'est soleil123", SecretKind.PASSWORD),  # the README's own example
    ("my password is hunter2", SecretKind.PASSWORD),
    ("mon mdp: soleil123", SecretKind.PASSWORD),
    ("mon mot de passe c'est soleil", SecretKind.PASSWORD),  # lowercase, no digit
    ("mon code c'est 483920", SecretKind.CODE),
    ("ma carte 4970 1012 3456 7893", SecretKind.CARD),  # Luhn-valid, inside a sentence
    ("FR76 3000 6000 0112 3456 7890 189", SecretKind.IBAN),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH…", SecretKind.PRIVATE_KEY),
    ("ghp_R8kLm2Qw9XzT4vBn7YpC3dFgH6jKs1aE0uWi", SecretKind.API_TOKEN),
    ("icon glare label enjoy dry turtle spice bus bean piece bottom shuffle", SecretKind.RECOVERY_PHRASE),
    ("otarie mascotte diamant policier mouche joueur peuple cavalier bordure plateau folie étourdir", SecretKind.RECOVERY_PHRASE),  # noqa: E501
    ("4970 1012 3456 7893", SecretKind.CARD),  # typed at a menu
    ("4821", SecretKind.CODE),  # a PIN typed at a menu
]  # fmt: skip
# What the shipped filter refused with "Stop ! … change-le".
REFUSED_BEFORE = ["1987", "2024", "Windows11", "COVID-19", "iPhone15Pro", "Jean-Pierre", "75011", "06 12 34 56 78"]

# Issue 18: what the filter let through (the kinds an unseen corpus showed), and what it refused wrongly.
MISSED_IN_ISSUE_18 = [
    ("ma carte 4970\u00a01012\u00a03456\u00a07893", SecretKind.CARD),  # non-breaking spaces
    ("4970\u202f1012\u202f3456\u202f7893", SecretKind.CARD),  # narrow ones
    ("4970\u200b1012\u200b3456\u200b7893", SecretKind.CARD),  # zero-width ones
    ("carte ４９７０１０１２３４５６７８９３", SecretKind.CARD),  # full-width digits
    ("m\u200bd\u200bp : chouquette", SecretKind.PASSWORD),
    ("mon mot de passe c'est lune-bougie-trottoir-soleil", SecretKind.PASSWORD),
    ("The password for my laptop is dragonfly", SecretKind.PASSWORD),
    ("i use Fluffy123 for everything", SecretKind.PASSWORD),
    ("la clé de la box c'est petitpoissonrouge", SecretKind.PASSWORD),
    ("mon mot de passe gmail est « ma fille est née en mai »", SecretKind.PASSWORD),
    ("psw netflix: popcorn77", SecretKind.PASSWORD),
    ("facebook : Lapin1990", SecretKind.PASSWORD),
    ("my security answer is Rosebud", SecretKind.PASSWORD),
    ("code: 8KD3Q", SecretKind.CODE),
    ("pour déverrouiller je tape 1470", SecretKind.CODE),
    ("le code au dos de la carte c'est quatre cent dix", SecretKind.CARD),
    ("numéro de sécurité sociale 197045499356319", SecretKind.IDENTITY),  # its key checks out
    ("numéro de passeport : 18XK29475", SecretKind.IDENTITY),
]
FLAGGED_IN_ISSUE_18 = [
    "le mot de passe c'est personnel !",
    "le pass culture c'est 300€",
    "is P@ssw0rd a bad example?",
    "le SMS venait du 38015",
    "mon numéro de commande c'est 4021337",
    "197045499356318",  # a NIR's shape, its key wrong, and no word that says it is one
    "my passport expires in 2027",
]


# Issue 18, second round: the general rules that batches written blind of the held-out corpus asked for, one line
# each (the filter missed all of these before).
GENERAL_RULES = [
    ("password: we all live in a yellow submarine", SecretKind.PASSWORD),  # a sentence after ":"
    ("ma phrase de passe c'est le chat mange la souris verte", SecretKind.PASSWORD),  # after a passphrase cue
    ("le nom de mon premier animal c'est Caramel", SecretKind.PASSWORD),  # a security question, asked
    ("question de sécurité (nom de ton instit de CP) : Mme Girard", SecretKind.PASSWORD),  # its answer after ":"
    ("le prénom de ma grand-mère c'est Germaine, c'est ma réponse de sécurité", SecretKind.PASSWORD),
    ("he saw me type it, its rosebud1990", SecretKind.PASSWORD),  # a word and a number, no cue
    ("the one I use everywhere is Bluebird77", SecretKind.PASSWORD),  # reuse said anywhere
    ("j'ai mis soleil comme mot de passe sur l'ordi", SecretKind.PASSWORD),  # named by how it was set
    ("SSID Maison, password coucoulesloulous", SecretKind.PASSWORD),  # field by field
    ("gmail -> Mistral2022", SecretKind.PASSWORD),  # an account, then a brand with digits
    ("j'ai dû lui dire mon mdp (nounours)", SecretKind.PASSWORD),  # in brackets
    ("my password's tigerlily", SecretKind.PASSWORD),
    ("j'ai reçu 483920 par SMS", SecretKind.CODE),  # a code by how it came
    ("le code c'est 8 5 2 0", SecretKind.CODE),  # digit by digit
    ("mon schéma de déverrouillage c'est 1-4-7-8-9", SecretKind.CODE),
    ("code portail 1A2B3", SecretKind.CODE),  # letters and digits, no frame
    ("5288 3416 2075 6296 10/27 412", SecretKind.CARD),  # the expiry right after the number
    ("ma visa 4457.8246.4692.4699", SecretKind.CARD),  # dots
    ("4970\u200e1012\u200f3456\u20637893", SecretKind.CARD),  # direction marks, an invisible separator
    ("carte 4970\u30001012\u30003456\u30007893", SecretKind.CARD),  # ideographic spaces
    ("CVV: 7 3 2", SecretKind.CARD),
    ("my NI number is QQ 12 34 56 C", SecretKind.IDENTITY),
    ("my social is 401-62-7788", SecretKind.IDENTITY),  # a US SSN by its shape
    ("numéro fiscal 3023217600053", SecretKind.IDENTITY),
    ("the login for the family computer is mum / roses", SecretKind.PASSWORD),  # user / password
    ("psswd: maplesyrup", SecretKind.PASSWORD),  # a password word as typed in a hurry
    ("passphrase: correct horse battery staple", SecretKind.PASSWORD),  # listed words, one an adjective
    ("mon mot de passe c'est le nom de mon chien, Oscar", SecretKind.PASSWORD),  # the name after the hint
    ("est-ce que 'marguerite' c'est un mot de passe solide ?", SecretKind.PASSWORD),  # a quoted word
    ("mot de passe de la banque en ligne : 41 72 93", SecretKind.PASSWORD),  # digit groups, one number
    ("my password's still fishandchips", SecretKind.PASSWORD),
    ("city you were born in: Leeds (that's my security answer)", SecretKind.PASSWORD),
    ("i've used Butterfly7 since school lol", SecretKind.PASSWORD),  # used, with no "for"
    ("ok its sweetpea1 dont tell anyone", SecretKind.PASSWORD),  # secrecy asked for
    ("mum's maiden name - Patterson", SecretKind.PASSWORD),  # a spaced dash announces the value
]
ORDINARY_NEAR_THEM = [
    "les gens mettent encore 123456 comme code",  # a weak code talked about
    "code promo : BIENVENUE10",  # a reference, not an account
    "use code SAVE15 at checkout",
    "référence : REF-00982-B",
    "mot de passe : j'en ai un différent pour chaque site",  # a sentence that describes
    "password: changed it yesterday",
    "passphrase or password, which is better?",
    "the key is patience",
    "Pharmacie - 9h-19h",
    "regarde bit.ly/3xYz12",
    "mon pseudo c'est lea92",  # a user name
    "le numéro 0 800 130 000 c'est la sécu ?",  # a phone number
    "Wi-Fi: off",
    "le mot de passe c'est « 1234 » par défaut ?",
    "j'ai reçu un SMS du 36179",
    "j'ai reçu 150 euros de remboursement",
    "j'ai reçu 4500 likes",  # a count, not a code
    "le code expéditeur était 38100",  # a sender
    "Freebox-3F2A1B",  # a network's name, as routers make them
    "MAC 3C:22:FB:9A:10:02",
    "localhost:3000",
    "j'ai reçu « Quelqu'un a votre mot de passe » de Google",  # an apostrophe closes no quotation
    "password hint says 'dog'",  # a hint, not the password
    "pass phrase = several random words",
    "mon mot de passe : je l'ai noté dans mon carnet",  # where it is kept
    "he made a new account: jay_2k24",  # a user name
    "mot de passe oublié - cliquer sur le lien",  # what to do
]


# Issue 18, third round. People describing coercive control were refused as if they had sent a password: a demand
# ("il exige", "demands", "m'oblige à donner") with no value after it is never a secret.
DEMANDED_NOT_GIVEN = [
    "il exige mon code de téléphone pour « être sûr » que je lui mens pas",
    'my partner demands my email password to "prove" I\'m not cheating',
    "ma belle-mère veut que je lui donne le code wifi, c'est risqué ?",
    'he wants my passcode, says it\'s "normal" in a couple',
    "elle m'oblige à partager mes mots de passe, c'est du contrôle ?",
    "je dois lui envoyer mon mdp snap tous les soirs pour « prouver » ma fidélité",
    "my stepdad made me hand over my phone PIN, is that ok?",
    "il réclame le mot de passe de mon compte bancaire, c'est nécessaire ?",
    "mon copain réclame le code de ma tablette, c'est malsain ?",  # a question about the demand
]
# …but a value given after the demand still is one.
DEMANDED_AND_GIVEN = [
    "il exige mon mot de passe, c'est loulou",
    "he demanded my password, it was Summer2019",
    "elle veut mon mdp : chaton",
]
# The kinds a second blind corpus showed missed, in lines of their own (not that corpus's), one rule each.
THIRD_ROUND_RULES = [
    ("mon mdp c'est étoile trois quatre tiret", SecretKind.PASSWORD),  # spelt out
    ("password is capital R, then o, s, e, five five", SecretKind.PASSWORD),
    ("c'est lapin tiret zéro sept tiret deux mille un", SecretKind.PASSWORD),  # spelt out, no password word
    ("mon mot de passe c est girafebleue", SecretKind.PASSWORD),  # "c est" without its apostrophe
    ("le mdp du pc c'est « salut »", SecretKind.PASSWORD),  # a greeting, quoted
    ("mot de passe maître : tortue-violon-parapluie-nuage", SecretKind.PASSWORD),
    ("ma phrase maître : trois poules rousses traversent la route", SecretKind.PASSWORD),
    ("question secrète : ville natale de ma mère → Quimper", SecretKind.PASSWORD),
    ("ma réponse secrète c'est tonton gégé", SecretKind.PASSWORD),  # words closing the message
    ("j'ai mis 'rue des Lilas' comme réponse à la question de sécurité", SecretKind.PASSWORD),
    ("SSID Orange-44F1, clé 7h2k-9qmx-p3w8", SecretKind.PASSWORD),  # a key after a network's name
    ("mon mdp c'est barbapapa sans majuscule", SecretKind.PASSWORD),  # how it is typed, said after it
    ("j'ai tapé « les trois mousquetaires » comme phrase secrète", SecretKind.PASSWORD),
    ("question de sécurité : ta première école. j'ai répondu Jaurès", SecretKind.PASSWORD),
    ("le code de la porte du local à vélos : 4C19B", SecretKind.CODE),  # up to eight words before ":"
    ("the safe combination is 12 right 30 left 7", SecretKind.CODE),  # a dial's numbers
    ("code du cadenas de la cave : 391", SecretKind.CODE),  # a lock's three digits
    ("combinaison du casier 3-9-1", SecretKind.CODE),
    ("123453-654324-000011-111111-222222-333333-444444-555555", SecretKind.CODE),  # BitLocker, each group % 11
    ("mon code de secours Apple : RK-3JQ8-WX7P-N2LT-9CVB", SecretKind.CODE),  # grouped, after a recovery word
    ("4024/0071/5336/2214 ma carte", SecretKind.CARD),  # slashes
    ("4024_0071_5336_2214", SecretKind.CARD),  # underscores
    ("DNI 12345678Z", SecretKind.IDENTITY),  # its check letter
    ("NIE X1234567L pour le bail", SecretKind.IDENTITY),
    ("ma carte d'identité : F3KT9PQ27", SecretKind.IDENTITY),  # the 2021 format
    (
        "private key solana: VxcwrWVZweDCtZXhgsC7VLA6btymh3fSVipgiBg1va543DyGf2rWMVevDaFhKY1j6WiJTcv6nHMqFZK25dr7S7wK",
        SecretKind.PRIVATE_KEY,
    ),
    (  # two words misremembered ("lactoze", "humaine"), announced as a seed
        "seed : désobéir torse lactoze refaire hormone ironique image humaine miauler connoter bastion haricot",
        SecretKind.RECOVERY_PHRASE,
    ),
]
ORDINARY_NEAR_THE_THIRD_ROUND = [
    "mon DNI est périmé depuis mars",
    "the padlock has a 3 digit code",
    "le code du cadenas, je l'ai oublié",
    "j'ai perdu ma clé de récupération BitLocker",
    "mon mot de passe a deux majuscules et un tiret",
    "my password is twelve characters with a dash",
    "le vol LH4321 est complet, on m'a proposé un avoir",
    "8-character passwords are too short",
    "la question secrète de ma banque est débile",
    "ma réponse c'est non",
    "la clé : je l'ai laissée chez la voisine",
    "SSID : Livebox-7A21, je n'arrive pas à me connecter",
]


# Issue 18, fourth round: general rules for the kinds a third blind corpus missed, each pinned with lines of my own.
FOURTH_ROUND_RULES = [
    ("le mdp du pc : R majuscule, e, n, a, r, d, 3, 1", SecretKind.PASSWORD),  # spelt key by key
    ("it's big T, u, l, i, p, 8, 8 and then a dollar sign", SecretKind.PASSWORD),  # no password word
    ("my memorable word for the bank is gooseberry", SecretKind.PASSWORD),
    ("Prénom de ton grand-père ? j'ai mis Ferdinand", SecretKind.PASSWORD),  # an answer after its question
    ("the answer to 'favourite band' is Genesis", SecretKind.PASSWORD),
    ("notes du tel : impots → Caramel!45, netflix → 771903", SecretKind.PASSWORD),  # accounts and arrows
    ("la clé de sécurité de ma freebox : ortie-banjo-castor", SecretKind.PASSWORD),  # a box's brand, dashed words
    ("is Comet-Lantern-52 safe to use?", SecretKind.PASSWORD),  # words and a number, asked about
    ("mon schéma c'est un U en commençant en haut", SecretKind.CODE),  # an unlock pattern described
    ("code de la grille 3392D", SecretKind.CODE),  # digits and a letter
    ("pin for the card is the year I was born 1975", SecretKind.CODE),
    ("un texto de Doctolib avec le 409127", SecretKind.CODE),  # from a named sender, no code word
    ("bitlocker 000000 111111 222222 333333 444444 555555 666666 777777", SecretKind.CODE),  # spaced groups
    ("b5f0a3c81e2d49f7a6c0e3b1d8f2a4c6e9b7d1f3a5c8e0b2d4f6a8c1e3b5d7f9 c'est ma clé", SecretKind.PRIVATE_KEY),
    ("rijksregisternummer 71020512345", SecretKind.IDENTITY),  # a cue: any number after it
    ("nummer 85.07.30-033.28", SecretKind.IDENTITY),  # punctuated and its mod-97 key right: no cue needed
    ("CNI n° HTRWKPZNB", SecretKind.IDENTITY),  # the 2021 card, all capitals, few vowels
    ("pour mon compte caf : B, i, j, o, u, 7, 3", SecretKind.PASSWORD),  # letters and digits, key by key
    ("Q: name of your first street? A: Gambetta", SecretKind.PASSWORD),
    ("his phone pattern = a small V", SecretKind.CODE),
]  # fmt: skip
ORDINARY_NEAR_THE_FOURTH_ROUND = [
    "des gens mettent encore 111111 comme mot de passe, c'est dingue",  # notorious ones, talked about
    "is 2222 a common code for alarms?",
    "the most hacked passwords are things like abc123 and 121212",
    "what did I put as my mother's maiden name",  # a question with no answer
    "le numéro de modèle A1865 est au dos",  # a model number, not a card's code
    "les pilotes ont un code pour la porte du A320 ?",
    "tu viens demain ? j'ai répondu peut-être",  # an answer, not to a security question
    "il m'a demandé où j'étais, j'ai répondu chez moi",
    "accueil → réglages → sécurité",  # arrows in a path, not accounts and passwords
    "le SMS venait du 36179, c'est ma banque ?",  # the sender's number
    "un texto reçu à 18 h 30, je réponds ?",
    "checksum sha256: b5f0a3c81e2d49f7a6c0e3b1d8f2a4c6e9b7d1f3a5c8e0b2d4f6a8c1e3b5d7f9, la clé USB est saine ?",
    "ma CNI IMPORTANTE est dans le tiroir",
    "mon schéma de déverrouillage est trop simple ?",
    "the pattern on her dress is a big X",  # no unlock word before "pattern"
    "is 6789 a common PIN too?",  # any run of four digits or more is notorious
    "Q: how long should a password be? A: no idea",
    "les numéros 1, 2, 3, 4, 5 et 6 sont sortis",  # single characters, digits only
    "mon pote m'a demandé ma ville natale, j'ai répondu Nancy",  # a person asking is talk, not a form
    "the answer to 'how' is easy: patience",  # a quoted question that is no security question
    "would Jean-Paul-2 be a good name for the cat?",  # words and a number, no strength word
    "les pires codes de carte : 2580, 1590",  # examples, in the plural
    "réponses au QCM : b, a, d, c, 2",  # single characters, one digit
]


# Issue 18, fifth round: general rules for kinds no corpus had (other countries' numbers, vendors' tokens, settings
# and command lines, other word lists) and for what held-out 4 missed, each pinned by a line of my own.
FIFTH_ROUND_RULES = [
    ("outlook ⇒ Cerise-Rouge-12", SecretKind.PASSWORD),  # any arrow reads as "→"
    ("wifi 🛜 : papillon22azur", SecretKind.PASSWORD),  # a pictograph is a space
    ("756.9217.0769.85", SecretKind.IDENTITY),  # a Swiss AVS number: 756 and an EAN-13 check, no cue needed
    ("RSSMRA83R14F749P", SecretKind.IDENTITY),  # an Italian codice fiscale, its check letter right
    ("meu CPF 123.456.789-09", SecretKind.IDENTITY),  # a Brazilian CPF, its two check digits right
    ("280264-051U", SecretKind.IDENTITY),  # a Finnish henkilötunnus, its check character right
    ("Steuer-ID 12345678901", SecretKind.IDENTITY),  # a cue of another country, then a number
    ("numéro d'assurance sociale 123 456 782", SecretKind.IDENTITY),
    ("PAN card ABCPE1234F", SecretKind.IDENTITY),
    ("hooks.slack.com/services/T0ABC/B0DEF/AbCdEfGhIjKlMnOpQrStUvWx", SecretKind.API_TOKEN),  # a webhook is its secret
    ("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi",
     SecretKind.PRIVATE_KEY),
    ("SMTP_PASSWORD: guimauve", SecretKind.PASSWORD),  # a setting whose name says secret
    ("define('AUTH_KEY', 'k9Lm2pQ7zRw4');", SecretKind.API_TOKEN),
    ("PGPASSWORD=Rhubarbe psql -h db", SecretKind.PASSWORD),  # all capitals, ending in PASSWORD
    ("https://marc:guimauve@nas.local/", SecretKind.PASSWORD),  # a password in a web address
    ("mysqldump -u admin -pTartine55 base", SecretKind.PASSWORD),  # on a command line, with a user option
    ("madre vara cliente alcalde dureza ruido ayuda pieza oxígeno aceptar víspera párrafo", SecretKind.RECOVERY_PHRASE),
    ("mes 12 mots : 1. lampe 2. tigre 3. route 4. sable 5. fusil 6. melon 7. piano 8. vigne 9. cloche 10. bougie "
     "11. renard 12. orage", SecretKind.RECOVERY_PHRASE),  # announced: twelve plain words, listed or not
    ("PUK 12345678", SecretKind.CODE),
    ("my authenticator says 220 417", SecretKind.CODE),
    ("lockbox = 2941", SecretKind.CODE),
    ("door code 31#07", SecretKind.CODE),  # a keypad's keys
    ("le digicode du bâtiment B côté parking 47B19", SecretKind.CODE),  # digits, a letter, digits
    ("code 4.9.1.7", SecretKind.CODE),
    ("code 37_12_88", SecretKind.CODE),
    ("PIN: nineteen ninety-nine", SecretKind.CODE),  # tens and teens
    ("safe combo 31-07-22", SecretKind.CODE),
    ("carte 4532-0151 4533-3149", SecretKind.CARD),  # mixed separators
    ("CCV 913", SecretKind.CARD),
    ("crypto visuel 771", SecretKind.CARD),
    ("passphrase « trois lapins sous la pluie »", SecretKind.PASSWORD),  # a quoted phrase right after its cue
    ("ma première voiture : une 205 rouge, c'est ma réponse secrète", SecretKind.PASSWORD),  # the answer, then its cue
    ("the answer to 'what was your childhood nickname' is Bubbles", SecretKind.PASSWORD),  # any quoted question
    ("lapin-cerise-nuage-fanfare pour le cloud", SecretKind.PASSWORD),  # four words joined by dashes
    ("spotify -> marmelade", SecretKind.PASSWORD),  # a plain word after an online account's name and an arrow
    ("mon mot d passe c biscotte", SecretKind.PASSWORD),
    ("the wifi password reads tangerine", SecretKind.PASSWORD),
    ("I typed Pelican42 into the login box", SecretKind.PASSWORD),  # a login box names no user name
    ("nom de jeune fille de ma grand-mère Morel", SecretKind.PASSWORD),  # a name closing its question
    ("il m'a forcée à changer mon mot de passe pour « aluiseul »", SecretKind.PASSWORD),  # a demand with a value
    ("it's Pa55word-Sunday for the family account", SecretKind.PASSWORD),
    ("le nom de mon premier patron c'est Delorme", SecretKind.PASSWORD),  # "the name of my first…" asks it
    ("mot de passe : R@phael", SecretKind.PASSWORD),  # letters and an inner symbol, no digit
    ("numéro de compte bancaire 00098765432 à la Banque Postale", SecretKind.IBAN),  # an account after its name
    ("clé 2FA : ABCD EF23 GH45 IJ67", SecretKind.CODE),  # a TOTP key as apps show it
    ("the combination is right 20, left 5, right 11", SecretKind.CODE),
    ("le portail c'est 1-3-5-7", SecretKind.CODE),
    ("ma banque m'a texté 552 019", SecretKind.CODE),
]  # fmt: skip
ORDINARY_NEAR_THE_FIFTH_ROUND = [
    'the word "password" in Spanish is "contraseña"',  # a password word quoted as a word
    "API_RETRIES=5",  # a setting whose name says nothing secret
    "SECRET_KEY_FILE=/run/secrets/django",  # the file, not the key
    "DB_PASSWORD=${DB_PASSWORD}",  # placeholders
    "OPENAI_API_KEY=<your key>",
    "ssh -p 2222 marc@serveur",  # a port
    "mysql -u root -p",  # the password asked for, not given
    "export PATH=$HOME/bin:$PATH",
    "quiz « animal préféré » : j'ai mis Loutre, et toi ?",
    "il a cité « to be or not to be » comme exemple de phrase",
    "elle a dit « parce que je t'aime » comme mot de passe de la relation",
    "https://example.com/login?next=/account",  # a login in a web address
    "spotify : premium",  # the account's plan, not its password
    "gmail : bloqué",
    "netflix : Stranger Things",
    "the code was twenty characters long",  # a count, not a code
    "code expiré le 14.06.24",  # a date
    "Q: what city? A: London, we moved in May",
    "Saint-Germain-des-Prés",  # words joined, not in one case
    "my secret answer is wrong every time",
    "the key to a good password is length",
    "numéro CAF allocataire 1234567",  # counted as ordinary since the second round
    "le code de réduction c'est NOEL15",
    "base32 c'est quoi ?",  # a word and a number, asked about as a term
    "routing number for Chase is public right? 021000021",
    "le nom de ma première école, je ne m'en souviens plus",
    "facebook : marketplace",  # after ":", news about the account
    "TOKEN: voir avec l'admin",  # a bare name, then words
    "my Steam id number is 76561198012345678, can he find me?",  # a platform's ID, not a national one
    "account number services: 1-800-555-0199",  # a phone line
]
# People describing coercive control with no value after the demand: never refused (these are who Gaffe is for).
COERCION_WITHOUT_A_VALUE = [
    "il exige mon mot de passe",
    "my partner demands my passwords",
    'he demands to see my phone and my passwords "because he loves me"',
    "il m'oblige à changer mon mot de passe pour lui",
    "she forces me to share my phone code every night",
    "il m'a forcée à donner mes codes, je ne sais plus quoi faire",
    'he says I have to tell him my pin "if I have nothing to hide"',
]

# Issue 18, sixth round: what only names a secret or a value, a device's error code, a short-code sender, an algorithm,
# a named checksum, a notorious password dressed up and asked about.
ORDINARY_NEAR_THE_SIXTH_ROUND = [
    "le décodeur affiche le code 4410 depuis l'orage",
    "SMTP_URL=smtp://mailer:${SMTP_PASSWORD}@mail.example.org:587",
    'db_pass = os.environ.get("POSTGRES_PASSWORD")',
    "const token = process.env.BOT_TOKEN;",
    'password: "{{ lookup_pwd }}"',
    "faut-il passer de pbkdf2 à argon2id ?",
    "sha512 : " + "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce" * 2,
    "is Winter2023! really a strong password?",
    "le 36117 m'a envoyé un code, c'est qui ?",
    "the last 4 digits: 9921 are on the receipt",
    "le jeu affichait b-o-n-u-s en lettres",
    "le coffre est protégé par Verisure",
    "le vélo est attaché avec un cadenas depuis 2021",
    "export PATH=$HOME/bin:$PATH",
]
# The kinds held-out 5 missed, in new words: each rule family once.
SIXTH_ROUND_RULES = [
    ("code carte bleue 3️⃣0️⃣5️⃣8️⃣", SecretKind.CODE),  # keycaps read as digits
    ("she asked for the 6 digits: 7 1 4 4 0 9", SecretKind.CODE),
    ("IBAN NL91-ABNA-0417-1643-00", SecretKind.IBAN),
    ("NN 93051822361 pour la mutuelle", SecretKind.IDENTITY),
    ("le code du portail c'est le 5D410", SecretKind.CODE),
    ("code d'entrée 27 F 33", SecretKind.CODE),
    ("codes de secours k3v9-2mxq-p7dw / 8rtz-w4nb-1cje", SecretKind.CODE),
    ("W-I-F-I : p-a-n-d-a-3-3", SecretKind.PASSWORD),
    ("le portable est protégé par Josette.62 depuis lundi", SecretKind.PASSWORD),
    ("Q: street you grew up on / A: Rue Pasteur", SecretKind.PASSWORD),
    ("la question c'est « surnom d'enfance » et j'ai mis Titou", SecretKind.PASSWORD),
    ('I set "Seven Green Owls Dancing" as my passphrase yesterday', SecretKind.PASSWORD),
]
# And what stays a secret beside them.
SIXTH_ROUND_KEPT = [
    ("my password is Winter2023!, is it really strong?", SecretKind.PASSWORD),  # one's own
    ("DB_PASSWORD=Velo2024 et le commit 3f2a9b1c", SecretKind.PASSWORD),
    ("API_SECRET=51bdcb90daf0a673cbc2bdf6bc7b392d dans mon commit", SecretKind.API_TOKEN),  # not named a checksum
    ("le code de ma box c'est 7781", SecretKind.CODE),
    ("would `Plum$tree2020` pass the bank's rules?", SecretKind.PASSWORD),  # "$tree" is no shell variable
]


@pytest.mark.parametrize("text", ORDINARY_NEAR_THE_SIXTH_ROUND)
def test_talk_near_the_sixth_round_rules_is_ordinary(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize(("text", "kind"), SIXTH_ROUND_RULES)
def test_the_sixth_round_rules_refuse_with_the_right_kind(text: str, kind: SecretKind) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(("text", "kind"), SIXTH_ROUND_KEPT)
def test_the_sixth_round_keeps_these_secrets(text: str, kind: SecretKind) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(("text", "kind"), FIFTH_ROUND_RULES)
def test_the_fifth_round_rules_refuse_with_the_right_kind(text: str, kind: SecretKind) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize("text", ORDINARY_NEAR_THE_FIFTH_ROUND + COERCION_WITHOUT_A_VALUE)
def test_talk_near_the_fifth_round_rules_and_demands_without_a_value_are_ordinary(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize(("text", "kind"), FOURTH_ROUND_RULES)
def test_the_fourth_round_rules_refuse_with_the_right_kind(text: str, kind: SecretKind) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize("text", ORDINARY_NEAR_THE_FOURTH_ROUND)
def test_talk_near_the_fourth_round_rules_is_ordinary(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize("text", DEMANDED_NOT_GIVEN + ORDINARY_NEAR_THE_THIRD_ROUND)
def test_a_demand_or_talk_near_the_third_round_rules_is_ordinary(text: str) -> None:
    assert detect(text) is None


@pytest.mark.parametrize("text", DEMANDED_AND_GIVEN)
def test_a_password_given_after_a_demand_is_refused(text: str) -> None:
    assert detect(text) == SecretKind.PASSWORD


@pytest.mark.parametrize(("text", "kind"), THIRD_ROUND_RULES)
def test_the_third_round_rules_refuse_with_the_right_kind(text: str, kind: SecretKind) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize(("text", "kind"), GENERAL_RULES)
def test_the_general_rules_refuse_with_the_right_kind(text: str, kind: SecretKind) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize("text", ORDINARY_NEAR_THEM)
def test_what_looks_like_them_is_ordinary(text: str) -> None:
    assert detect(text) is None


def test_every_invisible_character_is_removed_before_reading() -> None:
    format_characters = [
        chr(c) for c in (*range(0x10000), *range(0xE0000, 0xE0080)) if unicodedata.category(chr(c)) == "Cf"
    ]
    assert normalise("mdp" + "".join(format_characters) + " : x") == "mdp : x"
    assert normalise("4970\u00a01012\u202f3456\u20097893\u3000８２") == "4970 1012 3456 7893 82"


@pytest.mark.parametrize(("text", "kind"), MISSED_BEFORE + MISSED_IN_ISSUE_18)
def test_what_the_old_filter_missed_is_refused_with_its_kind(text: str, kind: SecretKind) -> None:
    assert detect(text) == kind


@pytest.mark.parametrize("text", REFUSED_BEFORE + FLAGGED_IN_ISSUE_18)
def test_what_the_old_filter_refused_is_ordinary(text: str) -> None:
    assert detect(text) is None


def test_a_short_number_is_read_in_context() -> None:
    assert detect("4821") == SecretKind.CODE and detect("4821", expects_number=True) is None
    assert detect("483920") == SecretKind.CODE and detect("483920", expects_number=True) is None
    assert detect("1987") is None and detect("mon code pin c'est 1987") == SecretKind.CODE
    assert detect("j'ai activé la 2FA en 2024") is None  # a year after "en", even near a code word
    assert detect("4970 1012 3456 7893", expects_number=True) == SecretKind.CARD  # a card stays a card


def test_a_question_expects_a_number_when_its_pattern_accepts_digits_and_no_letters() -> None:
    def expects(pattern: str | None) -> bool:
        return TextInput(save_as="x", error="e", pattern=pattern).expects_number

    assert expects(r"^\d{1,3}$") and expects(r"[0-9]{4}") and expects(r"\d+")
    assert not expects(r"^[\w' -]+$") and not expects(None) and not expects(r"^[a-z]+$")


def test_ordinary_edge_cases() -> None:
    for text in (
        "4111 1111 1111 1112",
        "12",
        "",
        "   ",
        "x" * 10_000,
        "https://www.cybermalveillance.gouv.fr/Page-2024",
    ):
        assert detect(text) is None, text
    assert detect("mon mot de passe est trop court ?") is None
    assert detect("my password is the same everywhere") is None
    assert detect("code postal 75011") is None and detect("code erreur 0x80070005") is None


def test_a_secret_is_refused_even_where_free_text_is_expected(mini: Content) -> None:
    asking = step(mini, State(), Command("quiz")).state  # "Comment je t'appelle ?"
    refused = step(mini, asking, Text("Tr0ub4dor&3"))  # would pass the name pattern
    assert refused.outputs == (SecretRefused("password"),)
    assert refused.state == asking and "name" not in refused.state.answers and not refused.changed


def test_a_secret_is_refused_at_a_menu_with_its_kind(mini: Content) -> None:
    at_menu = step(mini, State(), Command("start")).state
    for text, kind in (("4970 1012 3456 7893", "card"), ("4821", "code"), ("mon mdp: soleil123", "password")):
        refused = step(mini, at_menu, Text(text))
        assert refused.outputs == (SecretRefused(kind),) and refused.state == at_menu


def test_a_number_answering_a_question_that_expects_one_is_an_answer(mini: Content) -> None:
    at_buttons = step(mini, State(), Text("on m'a piraté")).state
    asking_days = step(mini, at_buttons, Pick(at_buttons.step, 0)).state  # "depuis combien de jours ?"
    answered = step(mini, asking_days, Text("1000"))  # a code anywhere else (not a year)
    assert answered.changed and answered.state.answers["days"] == "1000"
    assert step(mini, at_buttons, Text("1000")).outputs == (SecretRefused("code"),)


def test_no_message_stays_in_the_filter_s_memory_once_it_answers() -> None:
    """The once-per-message reading of talk about bad passwords is cached by the message's text: the cache is
    emptied when `detect` answers, so no message (secrets included) is kept in the process after its reading."""
    text = "is password123 a terrible password? everyone says password is the worst"
    detect(text)
    assert sensitive._talks_about_bad_ones.cache_info().currsize == 0


# Issue 18, seventh round: developers' and admins' talk, policies and counts near a password word are not secrets;
# held-out 6's missed kinds are. One rule each: (what it is for, a secret beside it, its kind, ordinary talk).
SEVENTH_ROUND_PAIRS = [
    (
        "a count and what it counts",
        "password for the studio: 7Persons!Studio",
        SecretKind.PASSWORD,
        "we're a 7-person studio, do we need a password manager?",
    ),
    (
        "a command line's long option",
        "mysql -u admin --password=Pivoine77 prod",
        SecretKind.PASSWORD,
        "john --format=bcrypt crack.txt a mis 3 jours à trouver un mot de passe",
    ),
    (
        "a regex",
        "my password: Pivoine77, the regex accepts it",
        SecretKind.PASSWORD,
        "my password regex: ^[A-Za-z0-9]{10,}$ rejects spaces",
    ),
    (
        "a log line's process and its id",
        "cron job password: Tilleul#2020",
        SecretKind.PASSWORD,
        "cron[3321]: password expiry check done for 40 users",
    ),
    (
        "a call or a subscript, read as a reference",
        "passwd = 'Cachalot55' en dur dans le script",
        SecretKind.PASSWORD,
        "passwd = ui.ask('Mot de passe : ') puis bcrypt",
    ),
    (
        "MySQL's 'user'@'host'",
        "CREATE USER 'deploy'@'%' IDENTIFIED BY 'Rhubarbe!91'",
        SecretKind.PASSWORD,
        "ERROR 1045: Access denied for user 'deploy'@'10.0.0.9' (password rotated monthly)",
    ),
    (
        "a setting judged by its value",
        "login=alice pass=Framboise42",
        SecretKind.PASSWORD,
        "argon2 with parallelism=4 and hash_len=32 for the password hash",
    ),
    (
        "an admin's tool with a digit in its name",
        "fail2ban admin password: Cachalot5",
        SecretKind.PASSWORD,
        "j'utilise fail2ban sur le serveur, 3 essais et c'est banni",
    ),
    (
        "a field's own name before its value",
        "password for account 90817: Bergamote55",
        SecretKind.PASSWORD,
        "WARN login: bad password for account_id=90817",
    ),
    (
        "a login's fields, the password word whole",
        "login marc, password Bergamote",
        SecretKind.PASSWORD,
        "the passcode setting is under Face ID & Passcode",
    ),
    (
        "a thing named after passwords",
        "j'ai mis clafoutis comme mot de passe",
        SecretKind.PASSWORD,
        "we use Argon2id for password hashing and UUIDv7 for password reset links",
    ),
    (
        "a path is no login",
        "login for the shed PC: dad / tortue",
        SecretKind.PASSWORD,
        "5 failed login attempts in a row on /admin/login",
    ),
    (
        "an empty setting, then prose",
        "SMTP_PASSWORD=Griotte#55",
        SecretKind.PASSWORD,
        "in .env.sample, SMTP_PASSWORD= stays blank for you",
    ),
    (
        "quoted keys and an empty value",
        '{"user": "marie", "password": "Griotte#55"}',
        SecretKind.PASSWORD,
        '{"login": "marie", "mdp": ""} renvoie une erreur',
    ),
    (
        "passwords counted",
        "mot de passe = tortue volante du mercredi",
        SecretKind.PASSWORD,
        "2 mots de passe = 2 fois plus de choses à retenir",
    ),
    (
        "rankings of bad passwords",
        "my password is qwerty123 lol",
        SecretKind.PASSWORD,
        "qwerty123 is on every top 20 list",
    ),
    (
        "a postal code's number",
        "code postal 69003 et le code de l'interphone 4417",
        SecretKind.CODE,
        "code postal 69003 et le code de l'interphone on verra demain",
    ),
    (
        "a birth year said before the code",
        "son code PIN c'est 1972, son année de naissance",
        SecretKind.CODE,
        "née en 1972, elle n'a jamais changé son code PIN",
    ),
    (
        "a birth year talked of",
        "PIN = my birth year, 1985",
        SecretKind.CODE,
        "my birth year is 1985, I never used it as a PIN",
    ),
    (
        "an entry or a user quoted",
        'mot de passe : "Maisonnette"',
        SecretKind.PASSWORD,
        'mdp : voir KeePass, entrée "Serveur"',
    ),
    (
        "a log's switch",
        "using password: Velours22",
        SecretKind.PASSWORD,
        "the printer's status page says PASSWORD: NONE",
    ),
    (
        "an acronym closes no question",
        "nom de jeune fille de maman Durand",
        SecretKind.PASSWORD,
        "la banque a remplacé la question secrète par un SMS",
    ),
    (
        "a secret named by what it signs",
        "the HMAC secret for the webhook: 4kF9xQ2mL7pW3zR8vT1yB6nC",
        SecretKind.API_TOKEN,
        "the HMAC secret must be 32 bytes at least",
    ),
    (
        "GitHub's recovery codes",
        "backup 7c3e1-a90f4 et 2b8d6-e5f13",
        SecretKind.CODE,
        "backup ids 12345-67890 failed",
    ),
    ("an Amex CID", "amex CID 8012", SecretKind.CARD, "CID 8012 sur l'afficheur du téléphone"),
    (
        "a year, then a birth year",
        "mon code de carte c'est le 1958, l'année de naissance de papa",
        SecretKind.CODE,
        "le 1958, l'année de naissance de papa, il faisait froid",
    ),
    (
        "an answer after ' / réponse :'",
        "question : école primaire / réponse : Marcel Pagnol",
        SecretKind.PASSWORD,
        "question : horaires d'ouverture / réponse : tous les jours",
    ),
    (
        "a security question's field filled",
        "first car = Peugeot 106, like on the bank form",
        SecretKind.PASSWORD,
        "first car = freedom, honestly",
    ),
    (
        "a value, then what it is",
        "c'est tartiflette, c'est le mot de passe du wifi",
        SecretKind.PASSWORD,
        "c'est simple, c'est le mot de passe du wifi qui bloque",
    ),
    (
        "another option's value",
        'New-LocalUser -Name "stagiaire" -Password "Bienvenue#2026"',
        SecretKind.PASSWORD,
        'ssh-keygen -t ed25519 -C "marc@desktop" sans passphrase, ça craint ?',
    ),
    (
        "where a password is read from",
        "openssl pkcs12 -export -passout pass:Ecureuil77",
        SecretKind.PASSWORD,
        "openssl pkcs12 -export -passout pass:stdin",
    ),
    (
        "a password as a call's literal",
        "db = pymysql.connect(user='app', password='Mouette1987')",
        SecretKind.PASSWORD,
        "db = pymysql.connect(user='app', password=mdp_lu)",
    ),
    (
        "a quiz's numbered question",
        "la réponse à la question secrète c'est Pontarlier",
        SecretKind.PASSWORD,
        "la réponse à la question 7 c'est 1515, Marignan",
    ),
    (
        "markup and comparisons",
        "<p>mot de passe : Lagon#2026</p>",
        SecretKind.PASSWORD,
        '<label for="pwd">Mot de passe</label> et if (pwd !== confirmPwd) showError()',
    ),
    (
        "PHP's calls and properties",
        "$pass = 'Lagon#2026'; // le vrai",
        SecretKind.PASSWORD,
        "Hash::check($request->password, $user->password), c'est bon ?",
    ),
    (
        "a setting's comma, unquoted",
        "define('DB_PASSWORD', 'Lagon2026');",
        SecretKind.PASSWORD,
        "le Dockerfile a ENV DB_PASSWORD, faut passer par --secret",
    ),
    (
        "a value that names another field",
        "client_secret: 9xKq2LmP7vR4tW8zN3bY",
        SecretKind.API_TOKEN,
        "OAuth2 client_credentials : client_id public, le reste côté serveur",
    ),
    (
        "xkcd's famous example",
        "mon mot de passe c'est Tr0ub4dor&3 depuis 2015",
        SecretKind.PASSWORD,
        'zxcvbn rates "Tr0ub4dor&3" at 3 of 4',
    ),
    (
        "a request's parameters",
        "user=bob&password=Ecureuil42 dans l'URL, aïe",
        SecretKind.PASSWORD,
        "Burp montre username=test&password=test dans le POST /login",
    ),
    (
        "a constant as the value",
        "mot de passe = Ecureuil42",
        SecretKind.PASSWORD,
        "Terraform : le mot de passe est marqué sensitive = true",
    ),
    (
        "another field's name as the value",
        "mot de passe = écureuil",
        SecretKind.PASSWORD,
        "l'audit a trouvé des comptes avec mot de passe = login",
    ),
    (
        "an error code in hex, a ticket's reference",
        "ticket INC0012345 : mot de passe provisoire Ecureuil#42",
        SecretKind.PASSWORD,
        "Erreur 0xC000006A : mot de passe incorrect, ticket INC0012345",
    ),
    (
        "lengths and what they count",
        "Password: 864-Chars",
        SecretKind.PASSWORD,
        "Password: 10-72 chars, any symbol",
    ),
    (
        "a time's colon",
        "password: pommes vertes du verger",
        SecretKind.PASSWORD,
        "password changed at 09:41 from Firefox on Linux",
    ),
    (
        "a policy's list",
        "mot de passe : Trois Chats Gris 7",
        SecretKind.PASSWORD,
        "mot de passe : 1 minuscule, 1 chiffre, 1 caractère spécial",
    ),
    (
        "a count, its noun and an adjective",
        "my 80-year-old dad's password is Rosemary1944",
        SecretKind.PASSWORD,
        "my 80-year-old dad uses the same PIN everywhere, how do I help him?",
    ),
    (
        "a password word naming a thing before ':'",
        "password: Bitwarden2026!",
        SecretKind.PASSWORD,
        "password manager prices: Bitwarden $10/yr, 1Password $36/yr",
    ),
    (
        "a wallet's phrase announced",
        "phrase secrète du portefeuille : rasage critère armure pelouse zoologie réserve tabouret triomphe méditer"
        " farfelu moutarde noisette",
        SecretKind.RECOVERY_PHRASE,
        "la phrase de mon portefeuille préféré est dans le livre",
    ),
]


# Issue 18, eighth round: one pair per rule (a secret and ordinary talk beside it), each checked to fail with its rule
# taken out; the kinds held-out 7 missed, and developers' talk, fiction and numbers to call that give no value.
EIGHTH_ROUND_PAIRS = [
    (
        "a gift card's code after its brand",
        "le vendeur au téléphone a eu le code Transcash 4410 2298 7163 0055",
        SecretKind.CODE,
        "le vendeur au téléphone voulait des Transcash de 100 €, j'ai raccroché",
    ),
    (
        "an activation code on a letter",
        "code d'activation de mon espace santé reçu hier par courrier à la maison : P4M8-ZQ2K",
        SecretKind.CODE,
        "code d'activation de mon espace santé reçu hier par courrier à la maison : illisible",
    ),
    (
        "a backup code mixed through after its name",
        "my recovery code for Instagram is 7hq2mz9xk4pt",
        SecretKind.CODE,
        "my recovery code for Instagram is somewhere in my emails",
    ),
    (
        "a vendor's prefix before a key cut short",
        "mon script contient sk-Qw7Lm2Xp9Zr4Kt8V en dur",
        SecretKind.API_TOKEN,
        "mon script lit la clé sk- depuis une variable d'environnement",
    ),
    (
        "a lock opened with a number",
        "le portail du jardin s'ouvre avec 6612",
        SecretKind.CODE,
        "le portail du jardin s'ouvre avec 2 clics sur la télécommande",
    ),
    (
        "a carrier's unlock code",
        "SFR m'a envoyé le code de déblocage 730218846 pour le vieux téléphone",
        SecretKind.CODE,
        "SFR m'a envoyé le code de déblocage par courrier pour le vieux téléphone",
    ),
    (
        "a keypad's or an intercom's code",
        "intercom at my sister's: 2B903",
        SecretKind.CODE,
        "intercom at my sister's flat 2B is broken again",
    ),
    (
        "a number to call is no code",
        "pour débloquer la carte il a fallu taper 8820",
        SecretKind.CODE,
        "pour débloquer la carte il faut appeler le 09 69 39 99 98",
    ),
    (
        "fiction's codes",
        "the code of my storage unit is 5533",
        SecretKind.CODE,
        "in the movie the code of the storage unit is 5533",
    ),
    (
        "a card number in words",
        "card number four nine seven zero one zero one two three four five six seven eight nine three",
        SecretKind.CARD,
        "card number starts with four nine seven zero, is that Visa?",
    ),
    (
        "an expiry and the code read out",
        "she had me read the expiry 05/29 and the 3 numbers 772",
        SecretKind.CARD,
        "she had me read the expiry 05/29 and nothing else",
    ),
    (
        "a security answer put",
        "j'ai répondu Duchemin à la question sur ma maîtresse de CP",
        SecretKind.PASSWORD,
        "j'ai répondu Duchemin à la question 3 du quiz",
    ),
    (
        "a security question set to its answer",
        "I set my favourite teacher to Hopkins on the bank app",
        SecretKind.PASSWORD,
        "I set my alarm to Monday on the app",
    ),
    (
        "a birth date as a file's password",
        "le PDF de la mutuelle s'ouvre avec ma date de naissance, 03111972",
        SecretKind.PASSWORD,
        "le PDF de la mutuelle s'ouvre avec ma date de naissance, c'est nul",
    ),
    (
        "a password described, then given",
        "le nom du chat à l'envers suivi de 77 : ettiM77",
        SecretKind.PASSWORD,
        "le nom du chat à l'envers suivi de 77 : trop facile ?",
    ),
    (
        "characters typed one by one, then a comma",
        "code de la console : A 5 8 2, au cas où",
        SecretKind.CODE,
        "code de la console : demande à Hugo, au cas où",
    ),
    (
        "a combination, then a comma",
        "the padlock is 3921, the cleaner knows",
        SecretKind.CODE,
        "the padlock is 3,5 cm wide, the cleaner knows",
    ),
    (
        "a locker's number is no combination",
        "the locker code is 482, the key has a blue tag",
        SecretKind.CODE,
        "the locker number is 482, the key has a blue tag",
    ),
    (
        "a lock's count of numbers, then them",
        "padlock on the gate, 3 numbers: 5 0 9",
        SecretKind.CODE,
        "padlock on the gate, 3 numbers to choose, how?",
    ),
    (
        "a seed phrase split by slashes",
        "seed: velvet / orbit / canal / frost / pepper / acid / hobby / wagon / jungle / dune / stable / lawn",
        SecretKind.RECOVERY_PHRASE,
        "seed: write it on paper / keep it offline / never type it / never photograph it",
    ),
    (
        "an elided value",
        "ALTER ROLE app WITH PASSWORD 'Grenat_2291';",
        SecretKind.PASSWORD,
        "ALTER ROLE app WITH PASSWORD '...'; ends up in the logs",
    ),
    (
        "a digest left out",
        "image: registry.example.com/app:1.2 user: deploy password: Kx9-rtL2",
        SecretKind.PASSWORD,
        "mot de passe du registre dans le CI, l'image est épinglée `app@sha256:...`",
    ),
    (
        "a command that generates a secret",
        "pour le wifi j'ai mis le mot de passe : Q2xk-88fz",
        SecretKind.PASSWORD,
        "pour le wifi j'ai généré le mot de passe : openssl rand -base64 18",
    ),
    (
        "a policy's functions",
        "Keycloak admin password: upperCase(1)x9",
        SecretKind.PASSWORD,
        "Keycloak password policy: length(10) and specialChars(1)",
    ),
    (
        "a famous example given as the example",
        "mon mot de passe c'est « cheval correct agrafe batterie »",
        SecretKind.PASSWORD,
        "un mot de passe comme « cheval correct agrafe batterie », c'est vraiment solide ?",
    ),
    (
        "iterations are counts",
        "mot de passe du coffre : 2600004",
        SecretKind.PASSWORD,
        "mot de passe du coffre : PBKDF2 à 600000 itérations",
    ),
    (
        "a stand-in value",
        'DB_PASSWORD="Orque-Bleue-61" dans le .env',
        SecretKind.PASSWORD,
        'DB_PASSWORD="changeme-before-deploy" dans le .env.example',
    ),
    (
        "a fixture's generic literal",
        'the fixture has password="Castor-2291", bandit flags it',
        SecretKind.PASSWORD,
        'the fixture has password="secret123", bandit flags it',
    ),
    (
        "another setting's quoted value",
        "Postgres password 'bergamote'",
        SecretKind.PASSWORD,
        "Postgres password in the log if log_statement = 'all'",
    ),
    (
        "a class in code",
        "password: PasswordBlue42",
        SecretKind.PASSWORD,
        "FastAPI OAuth2PasswordBearer example: is the password sent over HTTPS?",
    ),
    (
        "algorithms joined by a dash",
        "passwords: Sable-8812",
        SecretKind.PASSWORD,
        "passwords: PBKDF2-SHA512 or argon2?",
    ),
    (
        "a product's possessive",
        "master password 2Fenetres's",
        SecretKind.PASSWORD,
        "master password and 1Password's Secret Key, why both?",
    ),
    (
        "an image's tag",
        "postgres password Lune:2024-bleu",
        SecretKind.PASSWORD,
        "postgres password in env with postgres:16.2-alpine?",
    ),
    (
        "fields named",
        "login: marc password: tilleul",
        SecretKind.PASSWORD,
        "login form: username and password fields",
    ),
    (
        "a quiz's answer",
        "I put Lighthouse as my answer for the security question",
        SecretKind.PASSWORD,
        "I put Lighthouse as my answer for the picture round at the pub quiz",
    ),
    (
        "personal data named, not given",
        "PDF password = violette hortensia gladys pivoine",
        SecretKind.PASSWORD,
        "PDF password = date of birth is what my bank does, ugh",
    ),
    (
        "a refusal is no security answer",
        "I set my first school to Whitgift on Facebook, is that enough?",
        SecretKind.PASSWORD,
        "I set my first school to Private on Facebook, is that enough?",
    ),
    (
        "the number on the back of a card",
        "j'ai donné le code au dos de la carte, 3639",
        SecretKind.CARD,
        "j'ai rappelé le numéro officiel au dos de la carte, 3639",
    ),
    (
        "a tool for passwords in general",
        "I use tournesol for my passwords",
        SecretKind.PASSWORD,
        "our fixtures use faker for passwords, no hardcoded ones",
    ),
    (
        "a port, a version, a room is no entry code",
        "intercom at the back door: 5060",
        SecretKind.CODE,
        "intercom SIP server runs on port 5060, open it?",
    ),
    (
        "a developer's identifier near a brand",
        "the Apple card code he wants: ABCDE12345",
        SecretKind.CODE,
        "my Apple Team ID is ABCDE12345, where do I put it in Xcode?",
    ),
    (
        "a consequence, not a value",
        "si je perds le mot de passe du coffre c'est tilleul83",
        SecretKind.PASSWORD,
        "si je perds le mot de passe du coffre c'est fichu ?",
    ),
]


# Issue 18, ninth round: one pair per rule (a secret of the kind held-out 8 missed, ordinary talk beside it), each
# checked to fail with its rule taken out.
NINTH_ROUND_PAIRS = [
    (
        "a value typed to open a session, no cue word",
        "Framboise_73 c'est ce que je tape le soir pour ouvrir ma session",
        SecretKind.PASSWORD,
        "je tape mes notes le soir pour ouvrir ma session de révision",
    ),
    (
        "a login said to be a password",
        "the login on my work laptop is harbour.1984",
        SecretKind.PASSWORD,
        "the login on my work laptop is slow since Monday",
    ),
    (
        "a login as a user and a password",
        "login c'est mamie@orange.fr / Rossignol_41, c'est mon fils qui gère",
        SecretKind.PASSWORD,
        "login c'est mamie@orange.fr, c'est mon fils qui gère",
    ),
    (
        "a PIN first, then what it is for and a doubt",
        "5820 pour ma carte, c'est trop facile ?",
        SecretKind.CODE,
        "2020 pour ma carte, c'est l'année où je l'ai eue",
    ),
    (
        "a cash machine's PIN typed",
        "au distributeur il faut taper 6093 puis valider ?",
        SecretKind.CODE,
        "au distributeur il faut taper 2 fois le montant ?",
    ),
    (
        "a one-time code spaced in pairs, received by text",
        "j'ai reçu 84 20 16 par sms, le vendeur le veut",
        SecretKind.CODE,
        "le sms venait du 84 20 16, c'est qui ?",
    ),
    (
        "an unlock pattern as dots",
        "my tablet pattern is an N: 7-4-5-6-3, kids know it",
        SecretKind.CODE,
        "au loto j'ai joué 1-2-3-5-7-8-9, jamais sorti",
    ),
    (
        "a safe's code put",
        "le coffre de la chambre, j'ai mis 383838",
        SecretKind.CODE,
        "le coffre de la chambre, j'ai mis mon passeport dedans",
    ),
    (
        "a notebook's list of accounts and their secrets",
        "sur mon carnet : banque 6630, mail Hérisson_19, box ok",
        SecretKind.PASSWORD,
        "sur mon carnet : banque lundi, mail mardi, box ok",
    ),
    (
        "an INI section, then its password key",
        "mon config.ini : [pop3] mot_de_passe = Lavande_Douce_61",
        SecretKind.PASSWORD,
        "mon config.ini : [pop3] serveur = pop.free.fr",
    ),
    (
        "a number masked in a quoted scam",
        "mon CPF c'est 111.444.777-35",
        SecretKind.IDENTITY,
        "« CPF : il vous reste 800 € de droits, appelez le 09 74 12 xx xx » arnaque ?",
    ),
    (
        "a cipher's name",
        "je chiffre en AES-256-GCM et mon mot de passe c'est Pivoine_48",
        SecretKind.PASSWORD,
        "je chiffre en AES-256-GCM, je mets le nonce où ?",
    ),
    (
        "a configuration file's path",
        "`docker login` with my password Quokka_2024 in plaintext?",
        SecretKind.PASSWORD,
        "does `docker login` keep my credentials in plaintext in ~/.docker/config.json?",
    ),
    (
        "a notorious code asked about",
        "4827 c'est trop facile pour un code de carte ?",
        SecretKind.CODE,
        "1111 c'est trop facile pour un code de carte ?",
    ),
    (
        "a pair that names things after 'my', 'the'",
        "the login is tom / Quokka_88",
        SecretKind.PASSWORD,
        "the login screen shows my avatar / banner",
    ),
    (
        "a checklist's statuses",
        "wifi : fait, mot de passe : Castor_Roux_27",
        SecretKind.PASSWORD,
        "wifi : fait, mot de passe : fait, antivirus : fait",
    ),
    (
        "keys pressed are no value typed",
        "I type Heron_1961 every morning to unlock my PC",
        SecretKind.PASSWORD,
        "I type Ctrl+Alt+Del every morning to unlock my PC",
    ),
    (
        "a year in a notebook's list is no code",
        "mon carnet : banque 7391, impôts ok",
        SecretKind.PASSWORD,
        "mes bilans : banque 2023, impôts ok",
    ),
    (
        "a sum before 'pour ma carte' is no PIN",
        "7140 pour ma carte, trop facile ?",
        SecretKind.CODE,
        "7140 pour ma carte comme plafond, trop ?",
    ),
    (
        "codes ranked by how common they are",
        "my PIN is 2580, the most common one?",
        SecretKind.CODE,
        "2580 is the most common PIN after 1234",
    ),
]


ROUND_PAIRS = [*SEVENTH_ROUND_PAIRS, *EIGHTH_ROUND_PAIRS, *NINTH_ROUND_PAIRS]


@pytest.mark.parametrize(("rule", "secret", "kind", "ordinary"), ROUND_PAIRS, ids=[pair[0] for pair in ROUND_PAIRS])
def test_each_tuning_rounds_rule_tells_a_secret_from_the_talk_beside_it(
    rule: str, secret: str, kind: SecretKind, ordinary: str
) -> None:
    assert detect(secret) == kind, rule
    assert detect(ordinary) is None, rule
