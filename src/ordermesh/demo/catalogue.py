"""The static part of the demo: a European fashion & home-goods seller.

Channels, locations (real cities, coordinates of their centres, plausible addresses) and
a catalogue whose SKUs exercise every handling rule: fragile glassware, hazardous
perfumes and aerosols, cold-chain food, oversize furniture, high-value pieces.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ordermesh.catalog.model import Handling, TaxClass
from ordermesh.channels.model import ChannelKind
from ordermesh.locations.model import Address, Capability, LocationKind


@dataclass(frozen=True)
class DemoChannel:
    code: str
    name: str
    kind: ChannelKind
    currency: str
    share: float  # of all orders


CHANNELS = [
    DemoChannel("web-de", "Nordlys web shop (DE/EU)", ChannelKind.WEB, "EUR", 0.33),
    DemoChannel("amazon-de", "Amazon.de marketplace", ChannelKind.MARKETPLACE, "EUR", 0.25),
    DemoChannel("shopify-home", "Nordlys Home (Shopify)", ChannelKind.SHOP_PLATFORM, "EUR", 0.14),
    DemoChannel("pos", "Nordlys stores (POS)", ChannelKind.STORE, "EUR", 0.13),
    DemoChannel("phone", "Phone orders", ChannelKind.PHONE, "EUR", 0.05),
    DemoChannel("web-uk", "Nordlys web shop (UK)", ChannelKind.WEB, "GBP", 0.10),
]


@dataclass(frozen=True)
class DemoLocation:
    code: str
    name: str
    kind: LocationKind
    address: Address
    latitude: float
    longitude: float
    capabilities: frozenset[Capability]
    processing_days: int = 0  # pick-up days before the hand-over day (promise dates)


_SHIP = frozenset({Capability.SHIP})
_SHIP_PICKUP = frozenset({Capability.SHIP, Capability.PICKUP})

CENTRAL, HAMBURG, MUNICH = "wh-kassel", "wh-hamburg", "wh-munich"
STORE_BERLIN, STORE_AMSTERDAM, THREE_PL = "store-berlin", "store-amsterdam", "3pl-venlo"
STORES = [STORE_BERLIN, STORE_AMSTERDAM]

LOCATIONS = [
    DemoLocation(CENTRAL, "Central warehouse Kassel", LocationKind.WAREHOUSE,
                 Address("Sandershäuser Straße 34", "Kassel", "DE", "Nordlys Logistik GmbH",
                         region="Hessen", postal_code="34123"),
                 51.3127, 9.4797, _SHIP),
    DemoLocation(HAMBURG, "Regional warehouse Hamburg (cold store)", LocationKind.WAREHOUSE,
                 Address("Billbrookdeich 210", "Hamburg", "DE", "Nordlys Logistik GmbH",
                         region="Hamburg", postal_code="22113"),
                 53.5511, 9.9937, _SHIP),
    DemoLocation(MUNICH, "Regional warehouse Munich", LocationKind.WAREHOUSE,
                 Address("Frankfurter Ring 105", "München", "DE", "Nordlys Logistik GmbH",
                         region="Bayern", postal_code="80807"),
                 48.1351, 11.5820, _SHIP),
    DemoLocation(STORE_BERLIN, "Store Berlin Mitte", LocationKind.STORE,
                 Address("Rosenthaler Straße 40", "Berlin", "DE", "Nordlys Berlin Mitte",
                         region="Berlin", postal_code="10178"),
                 52.5246, 13.4020, _SHIP_PICKUP),
    DemoLocation(STORE_AMSTERDAM, "Store Amsterdam Negen Straatjes", LocationKind.STORE,
                 Address("Herenstraat 24", "Amsterdam", "NL", "Nordlys Amsterdam",
                         region="Noord-Holland", postal_code="1015 CB"),
                 52.3676, 4.9041, _SHIP_PICKUP),
    DemoLocation(THREE_PL, "Bulky goods 3PL Venlo", LocationKind.THREE_PL,
                 Address("Celsiusweg 60", "Venlo", "NL", "Venlo Fulfilment B.V.",
                         region="Limburg", postal_code="5928 PR"),
                 51.3704, 6.1724, _SHIP, processing_days=1),
]


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    price: Decimal  # EUR list price
    tax_class: TaxClass
    weight_grams: int
    dimensions_mm: tuple[int, int, int]
    handling: frozenset[Handling]
    popularity: float  # relative demand

    def has(self, flag: Handling) -> bool:
        return flag in self.handling


_FLAGS = {"F": Handling.FRAGILE, "H": Handling.HAZMAT, "C": Handling.COLD_CHAIN,
          "O": Handling.OVERSIZE, "V": Handling.HIGH_VALUE, "P": Handling.PERISHABLE}
_TAX = {"S": TaxClass.STANDARD, "R": TaxClass.REDUCED, "E": TaxClass.EXEMPT}

# sku, name, category, EUR price, tax class, grams, LxWxH mm, handling flags, popularity
_ROWS = """
AP-KNT-001|Merino crew-neck jumper, navy|Knitwear|89.00|S|320|300x250x40||3.0
AP-KNT-002|Merino crew-neck jumper, oatmeal|Knitwear|89.00|S|320|300x250x40||2.5
AP-KNT-003|Cashmere cardigan, charcoal|Knitwear|189.00|S|380|320x260x50|V|1.2
AP-SHT-001|Organic cotton Oxford shirt, white|Shirts & blouses|59.90|S|280|320x240x30||3.2
AP-SHT-002|Linen shirt, sky blue|Shirts & blouses|69.90|S|240|320x240x30||1.6
AP-SHT-003|Silk blouse, ivory|Shirts & blouses|119.00|S|180|320x240x30||1.1
AP-TEE-001|Organic cotton T-shirt, black|T-shirts|24.90|S|180|280x200x20||4.5
AP-TEE-002|Organic cotton T-shirt, white|T-shirts|24.90|S|180|280x200x20||4.8
AP-TRS-001|Wide-leg wool trousers, camel|Trousers|129.00|S|520|350x280x50||1.3
AP-DNM-001|Straight-leg selvedge jeans, indigo|Trousers|119.00|S|750|350x280x60||2.0
AP-DRS-001|Jersey wrap dress, bordeaux|Dresses|99.00|S|350|320x260x40||1.4
AP-OUT-001|Wool-blend overcoat, camel|Outerwear|289.00|S|1650|600x400x120|V|0.9
AP-OUT-002|Waxed cotton jacket, olive|Outerwear|219.00|S|1300|500x400x100||0.8
AP-OUT-003|Recycled down puffer jacket, black|Outerwear|179.00|S|900|450x350x120||1.8
AC-BAG-001|Leather tote bag, cognac|Bags|249.00|S|1100|450x350x150|V|1.0
AC-BAG-002|Canvas weekender bag, sand|Bags|129.00|S|1400|550x300x280||0.9
AC-BLT-001|Leather belt, dark brown|Accessories|49.00|S|300|250x150x60||1.5
AC-SCF-001|Chunky wool scarf, forest green|Accessories|45.00|S|250|300x200x60||2.2
AC-HAT-001|Ribbed beanie, mustard|Accessories|29.90|S|100|220x180x30||2.6
AC-GLV-001|Lambskin gloves, black|Accessories|69.00|S|120|250x120x30||1.2
AC-SCK-001|Merino socks, 3-pack|Accessories|24.00|S|200|220x120x40||3.5
FW-SNK-001|Leather sneakers, white|Footwear|139.00|S|1400|340x220x130||1.7
FW-BOT-001|Chelsea boots, black suede|Footwear|189.00|S|1900|340x240x140||1.0
FW-SLP-001|Felt slippers, grey|Footwear|39.00|S|450|300x150x100||2.0
HT-BED-001|Stonewashed linen duvet cover 200x200, natural|Bed & bath|149.00|S|1500|400x300x80||1.3
HT-BED-002|Percale pillowcase set 80x80, white|Bed & bath|39.00|S|500|300x250x40||2.0
HT-TWL-001|Waffle bath towel, sage|Bed & bath|29.00|S|600|350x250x60||2.4
HT-TWL-002|Turkish hammam towel, stripe|Bed & bath|34.00|S|400|300x200x50||1.8
HT-THR-001|Alpaca throw, natural|Living|159.00|S|900|400x300x100||0.9
HT-CUS-001|Boucle cushion cover 50x50, cream|Living|39.00|S|250|300x300x30||2.1
KD-GLS-001|Hand-blown wine glasses, set of 4|Glassware|59.00|S|1400|300x300x250|F|1.8
KD-GLS-002|Crystal champagne flutes, set of 2|Glassware|79.00|S|900|300x200x150|F|1.0
KD-GLS-003|Recycled glass tumblers, set of 6|Glassware|34.00|S|1800|300x200x120|F|1.6
KD-GLS-004|Glass carafe with stopper, 1 l|Glassware|39.00|S|900|300x150x150|F|1.1
KD-GLS-005|Vintage coupe glasses, set of 4|Glassware|49.00|S|1200|300x300x180|F|0.9
KD-CER-001|Stoneware dinner plates, set of 4, speckled|Tableware|79.00|S|4200|320x320x150|F|1.2
KD-CER-002|Stoneware mug, glazed blue|Tableware|18.00|S|400|150x120x120|F|3.0
KD-CER-003|Porcelain serving bowl, 28 cm|Tableware|49.00|S|1600|320x320x150|F|0.8
KD-UTN-001|Olive wood salad servers|Kitchen|29.00|S|200|320x100x40||1.4
KD-UTN-002|Cast iron casserole 24 cm, ivory|Kitchen|189.00|S|5600|380x300x200|V|0.7
KD-LIN-001|Linen tea towels, set of 3|Kitchen|24.00|S|250|250x200x30||2.2
HF-PRF-001|Eau de parfum Cedre Noir, 50 ml|Fragrance|95.00|S|320|120x80x60|H|1.6
HF-PRF-002|Eau de parfum Fleur de Sel, 100 ml|Fragrance|135.00|S|450|140x90x70|H|1.0
HF-SPR-001|Room spray Fig Leaf, aerosol 150 ml|Fragrance|24.00|S|230|200x60x60|H|1.7
HF-SPR-002|Linen spray Lavender, aerosol 200 ml|Fragrance|19.00|S|280|220x60x60|H|1.5
HF-DIF-001|Reed diffuser Amber & Oud, 200 ml|Fragrance|39.00|S|600|300x90x90|HF|1.4
HF-CND-001|Scented candle Winter Forest, 190 g|Candles|32.00|S|480|100x100x110|F|3.0
HF-CND-002|Beeswax taper candles, set of 6|Candles|16.00|S|350|300x100x30||2.0
HF-CND-003|Scented candle Tomato Leaf, 300 g|Candles|45.00|S|720|110x110x120|F|1.5
FN-SOF-001|Three-seater sofa Hygge, boucle oat|Furniture|1490.00|S|62000|2150x950x820|OV|0.25
FN-CHR-001|Lounge armchair, oak and wool|Furniture|649.00|S|18000|800x850x780|OV|0.35
FN-TBL-001|Solid oak dining table, 200 cm|Furniture|1190.00|S|58000|2000x950x750|OV|0.2
FN-SBD-001|Walnut sideboard, 160 cm|Furniture|989.00|S|52000|1600x450x800|OV|0.2
FN-SHF-001|Ladder bookshelf, ash|Furniture|279.00|S|14000|1900x600x400|O|0.4
FN-RUG-001|Hand-woven wool rug 200x300, ivory|Rugs|690.00|S|16000|2000x350x350|OV|0.35
LT-FLR-001|Arc floor lamp, brass|Lighting|349.00|S|12000|1800x400x400|OF|0.4
LT-TBL-001|Ceramic table lamp, sand|Lighting|129.00|S|3200|500x350x350|F|0.8
GM-CHO-001|Belgian praline selection, 250 g|Gourmet|22.00|R|400|250x150x50|P|2.2
GM-CHE-001|Aged Gouda, 1 kg wheel|Gourmet|34.00|R|1100|200x200x100|PC|0.9
GM-SAL-001|Smoked Norwegian salmon, 500 g|Gourmet|39.00|R|650|350x200x40|PC|0.7
GM-OIL-001|Extra virgin olive oil, Crete, 750 ml|Gourmet|18.50|R|1300|300x80x80|F|1.8
GM-COF-001|Single-origin coffee beans, Ethiopia, 1 kg|Gourmet|29.00|R|1050|250x150x90||2.4
GM-TEA-001|Organic Earl Grey loose tea, 200 g|Gourmet|14.50|R|250|150x90x90||1.6
BK-COF-001|Nordic Interiors (coffee-table book)|Books|49.00|R|1900|320x250x40||0.9
GC-EUR-050|Gift card 50 EUR|Gift cards|50.00|E|20|180x120x5||1.2
"""


def _parse(line: str) -> DemoProduct:
    sku, name, category, price, tax, grams, dims, flags, popularity = line.split("|")
    length, width, height = (int(v) for v in dims.split("x"))
    return DemoProduct(sku, name, category, Decimal(price), _TAX[tax], int(grams),
                       (length, width, height), frozenset(_FLAGS[f] for f in flags),
                       float(popularity))


PRODUCTS = [_parse(line) for line in _ROWS.strip().splitlines()]

HOME_CATEGORIES = ("Bed & bath", "Living", "Glassware", "Tableware", "Kitchen", "Fragrance",
                   "Candles", "Furniture", "Rugs", "Lighting", "Gourmet", "Books")


def sells(channel: str, product: DemoProduct) -> bool:
    """Which channel lists which SKU: a real assortment differs per channel."""
    gift = product.category == "Gift cards"
    if channel == "amazon-de":
        return not (gift or product.has(Handling.COLD_CHAIN))
    if channel == "shopify-home":
        return product.category in HOME_CATEGORIES
    if channel == "pos":
        return not (product.has(Handling.OVERSIZE) or product.has(Handling.COLD_CHAIN))
    if channel == "web-uk":  # no dangerous goods, chilled food or freight across the Channel
        return not (gift or product.has(Handling.HAZMAT) or product.has(Handling.COLD_CHAIN)
                    or product.has(Handling.OVERSIZE) or product.has(Handling.PERISHABLE))
    return True


def home_locations(product: DemoProduct) -> list[str]:
    """Where a SKU is kept, the first being where supplier deliveries arrive."""
    if product.has(Handling.OVERSIZE):
        return [THREE_PL]
    if product.has(Handling.COLD_CHAIN):
        return [HAMBURG]
    if product.has(Handling.HAZMAT):  # only the certified sites, and a little in the stores
        return [CENTRAL, MUNICH, *STORES]
    if product.category in ("Gourmet", "Books", "Gift cards"):
        return [CENTRAL, HAMBURG]
    return [CENTRAL, HAMBURG, MUNICH, *STORES]
