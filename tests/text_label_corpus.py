"""Two kinds of short messages for text custom-label tests, generated from templates with a
seeded generator: investment-scam pitches and ordinary chat about daily life."""

from __future__ import annotations

import numpy as np

SCAM = (
    "Double your {coin} in {hours} hours, send {amount} to my wallet and get twice back",
    "Guaranteed {percent}% daily returns on {coin}, DM me to join the investment group",
    "{coin} giveaway! Send {amount} and receive {bigger} instantly, limited time only",
    "I made {bigger} last week trading {coin} with this secret bot, message me to invest",
    "Our {coin} mining pool pays {percent}% a day, deposit {amount} now before it closes",
    "Verified account manager here: transfer {amount} in {coin} to unlock your profits",
)
CHAT = (
    "Are we still meeting at the {place} on {day}? I can bring the {thing}",
    "The {thing} I ordered finally arrived, it looks great in the {place}",
    "Happy birthday! Hope you have a lovely {day} with the family",
    "Traffic near the {place} was terrible this morning, took me an hour",
    "Does anyone know a good recipe for {food}? Making dinner for six on {day}",
    "Thanks for the {thing}, the kids loved it and played all {day}",
)
WORDS = {
    "coin": ["bitcoin", "ETH", "USDT", "crypto", "BTC", "dogecoin"],
    "hours": ["24", "12", "48", "6"],
    "amount": ["0.1 BTC", "500 USDT", "1 ETH", "$200", "$1000"],
    "bigger": ["$5000", "2 ETH", "1 BTC", "$20,000"],
    "percent": ["5", "10", "20", "3"],
    "place": ["library", "park", "station", "cafe", "office", "kitchen"],
    "day": ["Saturday", "Sunday", "Friday", "Monday", "the weekend"],
    "thing": ["board game", "lamp", "cake", "bicycle", "book", "chairs"],
    "food": ["lasagna", "curry", "pancakes", "soup", "risotto"],
}


def messages(templates: tuple[str, ...], count: int, seed: int) -> list[str]:
    generator = np.random.default_rng(seed)
    out = []
    for index in range(count):
        template = templates[index % len(templates)]
        fields = {key: str(generator.choice(values)) for key, values in WORDS.items()}
        out.append(template.format(**fields))
    return out
