"""Deterministic, varied names for demo and generated people."""

from __future__ import annotations

import random

FIRST_NAMES = [
    "Aisha",
    "Ben",
    "Carla",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustav",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Lars",
    "Mei",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sanjay",
    "Tereza",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zofia",
    "Amara",
    "Bruno",
    "Chloe",
    "Diego",
    "Esra",
    "Felix",
    "Grace",
    "Hamid",
    "Ivy",
    "Jamal",
    "Kaito",
    "Lena",
    "Marco",
    "Nia",
    "Olga",
    "Pablo",
    "Rania",
    "Sofia",
    "Tomás",
    "Uma",
    "Viktor",
    "Wanjiru",
    "Yara",
    "Zain",
]
LAST_NAMES = [
    "Adeyemi",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Haddad",
    "Ito",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Wright",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Andersen",
    "Bianchi",
    "Chen",
    "Diallo",
    "Evans",
    "Ferreira",
    "Gupta",
    "Hansen",
    "Ibrahim",
    "Jovanović",
    "Kim",
    "López",
    "Mensah",
    "Nakamura",
    "Ortiz",
    "Park",
    "Rahman",
    "Silva",
    "Tran",
    "Usman",
    "Virtanen",
    "Weber",
    "Yamamoto",
    "Zimmermann",
]


def unique_names(count: int, rng: random.Random) -> list[tuple[str, str]]:
    """`count` distinct (first, last) pairs; past the 2,500 combinations a
    numeric suffix on the last name keeps them distinct."""
    pairs = [(f, la) for f in FIRST_NAMES for la in LAST_NAMES]
    rng.shuffle(pairs)
    names: list[tuple[str, str]] = []
    round_ = 0
    while len(names) < count:
        for first, last in pairs:
            if len(names) == count:
                break
            names.append((first, last if round_ == 0 else f"{last} {round_ + 1}"))
        round_ += 1
    return names


def ascii_slug(text: str) -> str:
    table = str.maketrans("áéíóúćčšžñãçøåäöü", "aeiouccszncaoaaou")
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum())
