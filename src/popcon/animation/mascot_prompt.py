"""What a prompt's words say about the offline mascot: the animal (ears, tail, face), body and clothes
colours, accessories. No model: a word list, and the same prompt always gives the same mascot.
"""

from __future__ import annotations

import colorsys
import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

RGB = tuple[int, int, int]
OUTLINE: RGB = (56, 40, 50)
SAMPLE_PROMPT = "a chubby orange fox in a teal hoodie"

COLOURS: dict[str, RGB] = {
    "red": (232, 72, 72),
    "crimson": (200, 40, 60),
    "orange": (255, 146, 60),
    "ginger": (240, 150, 80),
    "yellow": (255, 214, 70),
    "gold": (246, 190, 50),
    "golden": (246, 190, 50),
    "lime": (170, 220, 70),
    "green": (110, 196, 96),
    "mint": (150, 230, 200),
    "teal": (40, 170, 170),
    "cyan": (70, 210, 230),
    "turquoise": (60, 200, 200),
    "sky": (120, 190, 250),
    "blue": (80, 130, 240),
    "navy": (50, 64, 130),
    "indigo": (90, 80, 190),
    "purple": (160, 100, 220),
    "violet": (170, 110, 230),
    "lavender": (190, 165, 240),
    "lilac": (200, 160, 230),
    "pink": (255, 150, 190),
    "magenta": (230, 70, 190),
    "rose": (240, 110, 140),
    "coral": (255, 127, 100),
    "peach": (255, 190, 150),
    "beige": (232, 210, 170),
    "cream": (250, 238, 205),
    "tan": (215, 175, 125),
    "brown": (165, 110, 70),
    "chocolate": (120, 75, 45),
    "white": (250, 250, 252),
    "silver": (200, 205, 215),
    "grey": (160, 162, 172),
    "gray": (160, 162, 172),
    "black": (62, 60, 70),
}
_MODIFIERS = {"light": 0.35, "pale": 0.45, "pastel": 0.4, "dark": -0.35, "deep": -0.25}

ANIMALS: dict[str, str] = {
    "cat": "cat",
    "kitten": "cat",
    "kitty": "cat",
    "neko": "cat",
    "fox": "fox",
    "kitsune": "fox",
    "dog": "dog",
    "puppy": "dog",
    "pup": "dog",
    "doggo": "dog",
    "shiba": "dog",
    "corgi": "dog",
    "bear": "bear",
    "teddy": "bear",
    "rabbit": "rabbit",
    "bunny": "rabbit",
    "hare": "rabbit",
    "frog": "frog",
    "toad": "frog",
    "panda": "panda",
    "mouse": "mouse",
    "hamster": "mouse",
    "rat": "mouse",
    "bird": "bird",
    "chick": "bird",
    "duck": "bird",
    "owl": "bird",
    "parrot": "bird",
    "chicken": "bird",
    "penguin": "penguin",
    "robot": "robot",
    "bot": "robot",
    "android": "robot",
    "mecha": "robot",
    "ghost": "ghost",
    "spirit": "ghost",
    "blob": "blob",
    "slime": "blob",
    "jelly": "blob",
    "mochi": "blob",
}
DEFAULT_COLOUR: dict[str, RGB] = {
    "cat": (170, 170, 185),
    "fox": (255, 140, 60),
    "dog": (225, 180, 130),
    "bear": (170, 115, 75),
    "rabbit": (250, 246, 246),
    "frog": (130, 205, 100),
    "panda": (250, 250, 252),
    "mouse": (196, 196, 208),
    "bird": (255, 214, 80),
    "penguin": (64, 74, 108),
    "robot": (176, 194, 214),
    "ghost": (244, 244, 255),
}
CLOTHES = {
    "hoodie": "hoodie",
    "sweater": "shirt",
    "shirt": "shirt",
    "tshirt": "shirt",
    "jacket": "shirt",
    "jumper": "shirt",
    "overalls": "shirt",
    "hat": "hat",
    "beanie": "hat",
    "cap": "hat",
    "crown": "crown",
    "scarf": "scarf",
    "glasses": "glasses",
    "spectacles": "glasses",
    "bow": "bow",
    "ribbon": "bow",
    "bowtie": "bowtie",
}
DEFAULT_CLOTHING_COLOUR: dict[str, RGB] = {
    "hoodie": (70, 170, 170),
    "shirt": (90, 140, 240),
    "hat": (232, 72, 72),
    "crown": (246, 196, 50),
    "scarf": (232, 72, 72),
    "glasses": OUTLINE,
    "bow": (255, 100, 140),
    "bowtie": (232, 72, 72),
}


@dataclass
class MascotSpec:
    """What the prompt asked for, after parsing."""

    animal: str = "blob"
    body: RGB = (255, 170, 190)
    clothes: dict[str, RGB] = field(default_factory=dict)
    chubby: bool = False


def shade(c: Sequence[int], k: float) -> RGB:
    """Lighten (k > 0) towards white or darken (k < 0) towards black."""
    if k >= 0:
        return tuple(round(v + (255 - v) * k) for v in c)  # type: ignore[return-value]
    return tuple(round(v * (1 + k)) for v in c)  # type: ignore[return-value]


def prompt_seed(prompt: str) -> int:
    """A stable seed from the prompt (Python's hash() is salted per process, so not that)."""
    return int.from_bytes(hashlib.sha256(prompt.strip().lower().encode("utf-8")).digest()[:8], "big")


def parse_prompt(prompt: str, seed: int | None = None) -> MascotSpec:
    """Pick the animal, the body colour and the clothes (with their colours) from the prompt words."""
    words = re.findall(r"[a-z]+", prompt.lower().replace("bow tie", "bowtie").replace("t-shirt", "tshirt"))
    rng = random.Random(prompt_seed(prompt) if seed is None else seed)
    spec = MascotSpec()
    spec.animal = next((ANIMALS[w] for w in words if w in ANIMALS), "blob")
    spec.chubby = any(w in ("chubby", "fat", "round", "plump", "fluffy", "chunky") for w in words)
    body: RGB | None = None
    for i, w in enumerate(words):
        if w in CLOTHES:
            spec.clothes.setdefault(CLOTHES[w], DEFAULT_CLOTHING_COLOUR[CLOTHES[w]])
        if w not in COLOURS:
            continue
        colour = COLOURS[w]
        if i > 0 and words[i - 1] in _MODIFIERS:
            colour = shade(colour, _MODIFIERS[words[i - 1]])
        target = next((CLOTHES[n] for n in words[i + 1 : i + 3] if n in CLOTHES), None)
        if target is not None:
            spec.clothes[target] = colour
        elif body is None:
            body = colour
    if body is None:
        if spec.animal in DEFAULT_COLOUR:
            body = DEFAULT_COLOUR[spec.animal]
        else:
            r, g, b = colorsys.hls_to_rgb(rng.random(), 0.74, 0.75)
            body = (round(r * 255), round(g * 255), round(b * 255))
    spec.body = body
    return spec
