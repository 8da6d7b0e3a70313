"""Plane geometry of the part animator: 3x3 transforms and limb directions in the character's terms."""

from __future__ import annotations

import math

import numpy as np


def rotate_about(p: tuple[float, float], deg: float) -> np.ndarray:
    """3x3: rotate by `deg` on screen (positive turns counter-clockwise as seen) about p."""
    a = math.radians(-deg)
    c, s = math.cos(a), math.sin(a)
    x, y = p
    return np.array([[c, -s, x - c * x + s * y], [s, c, y - s * x - c * y], [0.0, 0.0, 1.0]])


def translation(dx: float, dy: float) -> np.ndarray:
    """3x3: shift by (dx, dy); poses chain these with rotations into one matrix per part."""
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def scale_y_about(p: tuple[float, float], k: float) -> np.ndarray:
    """3x3: squash or stretch vertically by k about p's height (a landing's squash, a bow)."""
    return np.array([[1.0, 0.0, 0.0], [0.0, k, p[1] * (1.0 - k)], [0.0, 0.0, 1.0]])


def map_point(m: np.ndarray, p: tuple[float, float]) -> tuple[float, float]:
    """Where the 3x3 transform m takes the point p: joints follow the parts they sit on."""
    v = m @ np.array([p[0], p[1], 1.0])
    return float(v[0]), float(v[1])


def screen_angle(phi: float, side: float) -> float:
    """Screen angle (counter-clockwise, degrees) of a limb direction phi in the character's terms."""
    r = math.radians(phi)
    return math.degrees(math.atan2(-math.cos(r), side * math.sin(r)))


def limb_angle(v: tuple[float, float], side: float) -> float:
    """A limb direction (image vector) in the character's terms: 0 down, 90 outward, 180 up."""
    return math.degrees(math.atan2(side * v[0], v[1]))


def wrap_degrees(d: float) -> float:
    """An angle difference folded into [-180, 180): the short way round between two directions."""
    return (d + 180.0) % 360.0 - 180.0


def subtract(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """The vector a - b between two points (a bone's direction from its joints)."""
    return a[0] - b[0], a[1] - b[1]


def segment_distance(
    px: np.ndarray, py: np.ndarray, a: tuple[float, float], b: tuple[float, float]
) -> np.ndarray:
    """Each point's distance to the segment a-b: which pixels lie around a bone."""
    ax, ay = a
    vx, vy = b[0] - ax, b[1] - ay
    ll = vx * vx + vy * vy or 1.0
    k = np.clip(((px - ax) * vx + (py - ay) * vy) / ll, 0.0, 1.0)
    return np.hypot(px - (ax + k * vx), py - (ay + k * vy))


def projection_along(
    px: np.ndarray, py: np.ndarray, a: tuple[float, float], b: tuple[float, float]
) -> np.ndarray:
    """Where each point projects on the line from a (0) to b (1)."""
    vx, vy = b[0] - a[0], b[1] - a[1]
    return ((px - a[0]) * vx + (py - a[1]) * vy) / (vx * vx + vy * vy or 1.0)
