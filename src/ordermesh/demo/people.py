"""Demo customers: names, e-mails, phones and addresses that look like real Europeans'.

Phone numbers are random digits (the UK ones lie in Ofcom's range reserved for drama);
e-mail domains are common providers, so never send anything to a demo customer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ordermesh.orders.model import ShippingAddress


@dataclass(frozen=True)
class _Country:
    code: str
    weight: float
    first: tuple[str, ...]
    last: tuple[str, ...]
    cities: tuple[tuple[str, str, float], ...]  # city, postal code, weight
    streets: tuple[str, ...]
    domains: tuple[str, ...]
    phones: tuple[str, ...]  # patterns, each '#' a random digit
    number_first: bool = False  # "12 rue Victor Hugo" rather than "Hauptstraße 12"


COUNTRIES = (
    _Country(
        "DE", 52,
        ("Anna", "Lena", "Julia", "Laura", "Sarah", "Lisa", "Katharina", "Sophie", "Marie",
         "Hannah", "Jonas", "Lukas", "Felix", "Maximilian", "Leon", "Paul", "Tim", "Jan",
         "Niklas", "Tobias", "Sabine", "Andrea", "Thomas", "Michael", "Stefan", "Petra",
         "Claudia", "Markus", "Christian", "Birgit"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
         "Schwarz", "Zimmermann", "Braun", "Krüger", "Hartmann", "Lange", "Werner", "Krause"),
        (("Berlin", "10405", 5), ("Berlin", "10437", 4), ("Berlin", "12047", 3),
         ("Hamburg", "22767", 4), ("München", "80469", 4), ("Köln", "50667", 3),
         ("Frankfurt am Main", "60316", 3), ("Stuttgart", "70173", 2),
         ("Düsseldorf", "40210", 2), ("Leipzig", "04109", 2), ("Dresden", "01067", 1),
         ("Hannover", "30159", 1), ("Nürnberg", "90402", 1), ("Bremen", "28195", 1),
         ("Freiburg im Breisgau", "79098", 1), ("Münster", "48143", 1), ("Kassel", "34117", 1)),
        ("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schillerstraße", "Goethestraße",
         "Lindenstraße", "Bergstraße", "Kirchstraße", "Parkstraße", "Friedrichstraße",
         "Mozartstraße", "Am Markt"),
        ("gmx.de", "web.de", "t-online.de", "gmail.com", "posteo.de", "outlook.de"),
        ("+49 151 ########", "+49 160 #######", "+49 170 #######", "+49 176 ########",
         "+49 30 ########"),
    ),
    _Country(
        "AT", 8,
        ("Johanna", "Valentina", "Magdalena", "Elias", "Jakob", "Florian", "David", "Theresa",
         "Katrin", "Lukas"),
        ("Gruber", "Huber", "Bauer", "Wagner", "Pichler", "Steiner", "Moser", "Mayer", "Hofer",
         "Leitner"),
        (("Wien", "1070", 5), ("Wien", "1090", 3), ("Graz", "8010", 2), ("Linz", "4020", 1),
         ("Salzburg", "5020", 1), ("Innsbruck", "6020", 1)),
        ("Mariahilfer Straße", "Herrengasse", "Linzer Gasse", "Landstraßer Hauptstraße",
         "Neubaugasse"),
        ("gmx.at", "aon.at", "gmail.com"),
        ("+43 664 #######", "+43 676 #######", "+43 1 #######"),
    ),
    _Country(
        "NL", 12,
        ("Emma", "Sanne", "Lotte", "Daan", "Sem", "Bram", "Lieke", "Thijs", "Femke", "Ruben"),
        ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
         "Smit", "Meijer", "de Boer"),
        (("Amsterdam", "1015 CB", 4), ("Amsterdam", "1072 AB", 3), ("Utrecht", "3511 AA", 2),
         ("Rotterdam", "3011 AB", 2), ("Den Haag", "2511 AA", 1), ("Haarlem", "2011 AA", 1)),
        ("Prinsengracht", "Keizersgracht", "Oudegracht", "Kerkstraat", "Stationsweg",
         "Dorpsstraat"),
        ("ziggo.nl", "kpnmail.nl", "gmail.com", "hotmail.nl"),
        ("+31 6 ########",),
    ),
    _Country(
        "FR", 6,
        ("Camille", "Léa", "Chloé", "Manon", "Hugo", "Louis", "Lucas", "Gabriel", "Élise",
         "Antoine"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
         "Leroy", "Moreau"),
        (("Paris", "75011", 4), ("Paris", "75015", 2), ("Lyon", "69002", 2),
         ("Strasbourg", "67000", 2), ("Lille", "59000", 1), ("Bordeaux", "33000", 1)),
        ("rue de la République", "rue Victor Hugo", "avenue Jean Jaurès", "rue des Lilas",
         "boulevard Voltaire"),
        ("orange.fr", "free.fr", "laposte.net", "gmail.com"),
        ("+33 6 ## ## ## ##", "+33 7 ## ## ## ##"), number_first=True,
    ),
    _Country(
        "BE", 5,
        ("Noor", "Louise", "Arthur", "Jules", "Elise", "Wout", "Marie", "Lucas"),
        ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens"),
        (("Antwerpen", "2000", 3), ("Gent", "9000", 2), ("Brussel", "1000", 2),
         ("Leuven", "3000", 1)),
        ("Meir", "Veldstraat", "Bondgenotenlaan", "Kerkstraat"),
        ("telenet.be", "skynet.be", "gmail.com"),
        ("+32 47# ## ## ##", "+32 49# ## ## ##"),
    ),
    _Country(
        "GB", 17,
        ("Olivia", "Amelia", "Isla", "Oliver", "George", "Harry", "Charlotte", "Jack",
         "Emily", "James"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Evans",
         "Thomas", "Johnson"),
        (("London", "N1 9GU", 4), ("London", "SE1 7PB", 3), ("Manchester", "M1 1AE", 2),
         ("Bristol", "BS1 4DJ", 2), ("Edinburgh", "EH1 1YZ", 1), ("Leeds", "LS1 4AP", 1),
         ("Brighton", "BN1 1AE", 1)),
        ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue"),
        ("btinternet.com", "gmail.com", "outlook.com", "sky.com"),
        ("+44 7700 900###",), number_first=True,
    ),
)

_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "É": "e",
                        " ": ""})


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str
    country: str
    address: ShippingAddress
    loyalty: float  # relative order frequency: a few customers order a lot
    favourite: str  # channel code they use most
    amazon_relay: str  # the masked e-mail Amazon hands to sellers for this buyer

    @property
    def near_store(self) -> bool:
        return self.address.city in ("Berlin", "Amsterdam")


def _digits(rng: random.Random, pattern: str) -> str:
    return "".join(str(rng.randrange(10)) if c == "#" else c for c in pattern)


def _favourite(rng: random.Random, country: str, city: str) -> str:
    if country == "GB":
        return "web-uk"
    options = ["web-de", "amazon-de", "shopify-home", "phone"]
    weights = [0.45, 0.35, 0.15, 0.05]
    if city in ("Berlin", "Amsterdam"):
        options.append("pos")
        weights.append(0.35)
    return rng.choices(options, weights)[0]


def make_people(rng: random.Random, count: int) -> list[Person]:
    people: list[Person] = []
    emails: set[str] = set()
    for _ in range(count):
        country = rng.choices(COUNTRIES, [c.weight for c in COUNTRIES])[0]
        first, last = rng.choice(country.first), rng.choice(country.last)
        city, postal, _w = rng.choices(country.cities, [c[2] for c in country.cities])[0]
        street, number = rng.choice(country.streets), rng.randint(1, 140)
        line1 = f"{number} {street}" if country.number_first else f"{street} {number}"
        local = f"{first}.{last}".lower().translate(_ASCII)
        style = rng.random()
        if style < 0.25:
            local = f"{first[0]}{last}".lower().translate(_ASCII)
        elif style < 0.45:
            local = f"{local}{rng.randint(70, 99)}"
        email = f"{local}@{rng.choice(country.domains)}"
        while email in emails:
            email = f"{local}{rng.randint(1, 999)}@{rng.choice(country.domains)}"
        emails.add(email)
        name = f"{first} {last}"
        phone = _digits(rng, rng.choice(country.phones))
        people.append(Person(
            name=name, email=email, phone=phone, country=country.code,
            address=ShippingAddress(name, line1, city, country.code, postal_code=postal),
            loyalty=min(12.0, rng.paretovariate(1.4)),
            favourite=_favourite(rng, country.code, city),
            amazon_relay=f"{_digits(rng, '##############')}@marketplace.amazon.de",
        ))
    return people
