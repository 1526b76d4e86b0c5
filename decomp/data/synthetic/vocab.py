"""Word lists of the synthetic set and the per-passage drawing of unique names from them."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable

from decomp.data.schema import Date
from decomp.errors import ConfigError

# Name-like lists: these are shuffled and sliced by the config's vocabulary seed and slice.
POOLS: dict[str, tuple[str, ...]] = {
    "male": (
        "Aaron", "Adrian", "Andre", "Bruno", "Caleb", "Dario", "Derek", "Elias", "Emil", "Felix", "Gavin",
        "Hugo", "Ivan", "Jonas", "Julian", "Kofi", "Lars", "Leon", "Marco", "Mateo", "Milan", "Nathan",
        "Nico", "Omar", "Oscar", "Pavel", "Rafael", "Ravi", "Silas", "Soren", "Tariq", "Theo", "Tobias",
        "Victor", "Wade", "Yusuf", "Zane", "Anton", "Desmond", "Ezra"),
    "female": (
        "Ada", "Alma", "Amara", "Beatrix", "Carla", "Clara", "Dalia", "Elena", "Elsa", "Farah", "Freya",
        "Greta", "Hana", "Ines", "Iris", "Jana", "Keira", "Lena", "Lina", "Maya", "Mira", "Nadia", "Nora",
        "Olga", "Petra", "Priya", "Rosa", "Sabine", "Selma", "Talia", "Uma", "Vera", "Wanda", "Yara",
        "Zora", "Anika", "Celia", "Dana", "Edith", "Ilse"),
    "surname": (
        "Abbott", "Alvarez", "Bailey", "Barros", "Becker", "Bishop", "Brandt", "Castillo", "Chandler",
        "Costa", "Dalton", "Decker", "Donovan", "Eriksen", "Fischer", "Fleming", "Garrison", "Haines",
        "Hartley", "Holloway", "Ibarra", "Jansen", "Keller", "Kowalski", "Lambert", "Lindqvist", "Lowell",
        "Maddox", "Marsh", "Mendes", "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Pereira",
        "Pruitt", "Quinlan", "Ramsey", "Reyes", "Rinaldi", "Sato", "Schaefer", "Sinclair", "Stroud",
        "Tanaka", "Thornton", "Ueda", "Vance", "Varga", "Voss", "Wallace", "Weber", "Whitaker", "Yilmaz",
        "Zeller", "Brennan", "Calloway", "Duarte", "Ferreira", "Gallagher", "Horvath", "Kessler",
        "Lacroix", "Mercer", "Nilsen", "Oyelaran", "Prescott", "Rourke", "Sandoval", "Teague", "Urquhart"),
    "team_city": (
        "Bayport", "Cedar Falls", "Clearwater", "Eastbridge", "Fairhaven", "Granite City", "Harborview",
        "Iron Hill", "Kingsport", "Lakeshore", "Marlow", "New Carthage", "Northfield", "Oakmont",
        "Pinecrest", "Port Royal", "Redwater", "Riverton", "Silver Bay", "Stonebridge", "Summit City",
        "Westbrook", "Whitecliff", "Windham"),
    "team_mascot": (
        "Bison", "Blizzard", "Condors", "Coyotes", "Falcons", "Foxes", "Grizzlies", "Hawks", "Hornets",
        "Jaguars", "Lynx", "Mariners", "Mustangs", "Owls", "Panthers", "Pioneers", "Raptors", "Rams",
        "Ravens", "Stallions", "Storm", "Titans", "Vipers", "Wolves"),
    "side": (
        "Aragonese", "Bavarians", "Bohemians", "Bretons", "Castilians", "Catalans", "Croats", "Danes",
        "Flemings", "Florentines", "Gascons", "Genoese", "Hessians", "Lithuanians", "Lombards",
        "Milanese", "Moravians", "Navarrese", "Normans", "Paduans", "Pisans", "Poles", "Portuguese",
        "Saxons", "Serbs", "Sienese", "Swabians", "Swedes", "Venetians", "Veronese"),
    "place": (
        "Aldmoor", "Ashford", "Bellamy Ridge", "Brackwater", "Carrow", "Castelmar", "Dunmere", "Elsworth",
        "Falkirk Moor", "Fenwick", "Greywater", "Hallam", "Harrowgate", "Kestrel Hill", "Lorne",
        "Marden", "Montevaro", "Orvale", "Pellham", "Quarrel Ford", "Ravensmoor", "Rocca Alta",
        "San Lucio", "Savrano", "Stirlow", "Tarnby", "Valcorto", "Wexmoor", "Wyndale", "Zarnow"),
    "town_head": (
        "Ash", "Birch", "Cedar", "Clear", "Elm", "Fair", "Glen", "Green", "High", "Lake", "Maple", "Mill",
        "North", "Oak", "Pine", "Red", "River", "Silver", "Spring", "Stone", "West", "Willow"),
    "town_tail": ("brook", "burg", "dale", "field", "ford", "haven", "port", "ridge", "ton", "ville",
                  "wood", "view"),
    "title_adj": (
        "Silent", "Crimson", "Hidden", "Broken", "Golden", "Distant", "Last", "Quiet", "Burning", "Frozen",
        "Hollow", "Wandering", "Bitter", "Restless", "Shattered", "Endless", "Pale", "Secret", "Lonely",
        "Velvet", "Iron", "Northern", "Fading", "Wild"),
    "title_noun": (
        "Harbor", "Garden", "Winter", "Orchard", "Lantern", "River", "Mirror", "Horizon", "Kingdom",
        "Compass", "Meadow", "Tide", "Letter", "Summer", "Signal", "Bridge", "Island", "Promise",
        "Shadow", "Voyage", "Echo", "Canyon", "Chapel", "Monsoon"),
    "firm_word": (
        "Amberline", "Bluegate", "Brightwater", "Copperfield", "Crescent", "Evergreen", "Falconer",
        "Greystone", "Halcyon", "Keystone", "Lodestar", "Meridian", "Northwind", "Oakhurst", "Paragon",
        "Redfern", "Sandpiper", "Starling", "Tidewater", "Wildrose", "Westmark", "Zenith"),
    "country": (
        "Argentina", "Austria", "Brazil", "Canada", "Chile", "Denmark", "Egypt", "Finland", "France",
        "Germany", "Ghana", "Greece", "India", "Ireland", "Italy", "Japan", "Kenya", "Mexico", "Norway",
        "Peru", "Poland", "Portugal", "Spain", "Sweden", "Turkey"),
}

# country -> (demonym, cities); cities are what the texts name as birthplaces and headquarters.
COUNTRIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Argentina": ("Argentine", ("Rosario", "Mendoza", "Cordoba")),
    "Austria": ("Austrian", ("Graz", "Linz", "Salzburg")),
    "Brazil": ("Brazilian", ("Recife", "Curitiba", "Belem")),
    "Canada": ("Canadian", ("Halifax", "Winnipeg", "Calgary")),
    "Chile": ("Chilean", ("Valparaiso", "Temuco", "Antofagasta")),
    "Denmark": ("Danish", ("Aarhus", "Odense", "Aalborg")),
    "Egypt": ("Egyptian", ("Alexandria", "Aswan", "Luxor")),
    "Finland": ("Finnish", ("Tampere", "Turku", "Oulu")),
    "France": ("French", ("Lyon", "Nantes", "Rennes")),
    "Germany": ("German", ("Leipzig", "Bremen", "Dresden")),
    "Ghana": ("Ghanaian", ("Kumasi", "Tamale", "Cape Coast")),
    "Greece": ("Greek", ("Patras", "Larissa", "Volos")),
    "India": ("Indian", ("Pune", "Jaipur", "Kochi")),
    "Ireland": ("Irish", ("Galway", "Limerick", "Sligo")),
    "Italy": ("Italian", ("Bologna", "Verona", "Bari")),
    "Japan": ("Japanese", ("Sendai", "Kobe", "Nagano")),
    "Kenya": ("Kenyan", ("Mombasa", "Kisumu", "Nakuru")),
    "Mexico": ("Mexican", ("Puebla", "Oaxaca", "Merida")),
    "Norway": ("Norwegian", ("Bergen", "Tromso", "Stavanger")),
    "Peru": ("Peruvian", ("Cusco", "Arequipa", "Trujillo")),
    "Poland": ("Polish", ("Gdansk", "Poznan", "Lublin")),
    "Portugal": ("Portuguese", ("Porto", "Braga", "Coimbra")),
    "Spain": ("Spanish", ("Seville", "Bilbao", "Zaragoza")),
    "Sweden": ("Swedish", ("Malmo", "Uppsala", "Lund")),
    "Turkey": ("Turkish", ("Izmir", "Bursa", "Konya")),
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")
ORDINALS = ("first", "second", "third", "fourth")


class Vocab:
    """The name lists one config draws from: each shuffled by `seed` and cut to `slice_`."""

    def __init__(self, seed: int = 0, slice_: tuple[float, float] = (0.0, 1.0)) -> None:
        low, high = slice_
        self.pools: dict[str, tuple[str, ...]] = {}
        for name, words in POOLS.items():
            shuffled = list(words)
            random.Random(f"vocab:{seed}:{name}").shuffle(shuffled)
            n = len(shuffled)
            self.pools[name] = tuple(shuffled[math.floor(low * n):max(math.ceil(high * n),
                                                                      math.floor(low * n) + 2)])


class Namer:
    """Draws names for one passage or paragraph set; a name is never drawn twice there."""

    def __init__(self, rng: random.Random, vocab: Vocab) -> None:
        self.rng, self.vocab, self.used = rng, vocab, set()

    def pick(self, pool: str, make: Callable[[], str] | None = None,
             key: Callable[[str], str] = lambda name: name) -> str:
        """A word of `pool` not drawn before here, or (with `make`) a fresh name built from words of pools;
        `key` says which names count as the same."""
        name = (self._fresh(pool, key) if make is None
                else self._first_fresh((make() for _ in range(200)), key))
        if name is None:
            raise ConfigError(f"the vocabulary slice has too few {pool} names for one passage; "
                              "widen vocab_slice or lower distractors / passage_sentences")
        self.used.add(key(name))
        return name

    def _first_fresh(self, candidates: Iterable[str], key: Callable[[str], str]) -> str | None:
        return next((n for n in candidates if key(n) not in self.used), None)

    def _fresh(self, pool: str, key: Callable[[str], str] = lambda name: name) -> str | None:
        """An unused word of `pool`: a few random draws first (cheap while most are free), then a scan."""
        words = self.vocab.pools[pool]
        name = self._first_fresh((self.rng.choice(words) for _ in range(10)), key)
        if name is None:
            left = [w for w in words if key(w) not in self.used]
            name = self.rng.choice(left) if left else None
        return name

    def word(self, pool: str) -> str:
        return self.rng.choice(self.vocab.pools[pool])

    def person(self, gender: str | None = None) -> tuple[str, str]:
        """A fresh full name and its gender ('male'/'female'); surnames stay unique while any are left."""
        gender = gender or self.rng.choice(("male", "female"))
        surname = self._fresh("surname")
        if surname:
            self.used.add(surname)
            return f"{self.word(gender)} {surname}", gender
        return self.pick("person", lambda: f"{self.word(gender)} {self.word('surname')}"), gender

    def title(self) -> str:
        """A fresh work title; titles differing only in their article ("The X", "X") count as one."""
        forms = ("The {a} {n}", "{a} {n}", "The {n} of the {n2}", "{an} {a} {n}")

        def make() -> str:
            n, n2 = self.rng.sample(self.vocab.pools["title_noun"], 2)
            a = self.word("title_adj")
            return self.rng.choice(forms).format(a=a, n=n, n2=n2, an="An" if a[0] in "AEIOU" else "A")

        return self.pick("title", make, key=lambda t: re.sub(r"^(The|An?) ", "", t))

    def firm(self, suffixes: tuple[str, ...]) -> str:
        return self.pick("firm", lambda: f"{self.word(self.rng.choice(('firm_word', 'surname')))} "
                                         f"{self.rng.choice(suffixes)}")

    def town(self) -> str:
        return self.pick("town", lambda: self.word("town_head") + self.word("town_tail"))

    def date(self, year_low: int, year_high: int) -> Date:
        return Date(str(self.rng.randint(1, 28)), self.rng.choice(MONTHS),
                    str(self.rng.randint(year_low, year_high)))


def pronoun(gender: str) -> str:
    return "He" if gender == "male" else "She"
