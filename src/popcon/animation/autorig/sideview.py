"""Which limbs are the character's right and left when it is seen from the side, mid-stride.

The limb finders name sides as in a front view (the character's right is the image's left). Seen from
the side, that is wrong for half of the limbs: there "right" and "left" are far and near. Three things
decide them, all read from the picture:

- a side view in a stride: the shoulders overlap (within about two arm widths across the body), both
  elbows bend the same way (in a front view bent arms mirror each other), one hand swings forward and
  one back, one foot forward and one back;
- facing: elbows point backwards, so the figure faces away from where its elbows bend; a figure facing
  the image's left shows its left side (its near limbs are its left ones), one facing right its right;
- near and far arm, from occlusion: the far arm passes behind the torso, whose drawn outline (a colour
  edge) crosses the arm where it meets the body; the near arm is drawn over the torso, its own outline
  runs on along it, so the colour edges at its root run along the arm, not across it;
- legs follow the gait: the near leg swings opposite the near arm (both usually vanish under shorts or
  a skirt, so their own overlap cannot be read).

When any of these is unclear (front views, arms held alike, no colour edge at the roots) the sides are
left as they were.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from popcon.domain.rig import Point

BEND = 0.08  # an elbow bends when its joint sits this share of the shoulder-hand span off that line
CROSS = 0.6  # a far arm's root: at least this share of the colour edges there run across the arm
APART = 0.3  # ... and this much more than at the near arm's root
SPREAD = 2.0  # side view: the shoulders lie within this many arm widths of each other across the body

_ARM = ("shoulder", "elbow", "hand")
_LEG = ("hip", "knee", "foot")


def _bend(a: Point, b: Point, c: Point) -> float:
    """How far `b` sits off the line a->c, as a share of that line's length; the sign says which way
    (positive: to the left of a->c in the image, whose y runs down)."""
    ax, ay = a
    span = np.array([c[0] - ax, c[1] - ay])
    off = np.array([b[0] - ax, b[1] - ay])
    n2 = float(span @ span)
    return float(span[0] * off[1] - span[1] * off[0]) / n2 if n2 > 1e-6 else 0.0


def _edge_tensor(rgb: np.ndarray, solid: np.ndarray) -> np.ndarray:
    """Per pixel, the colour change's structure tensor (gx², gx·gy, gy² summed over L, a and b). Pixels
    outside `solid` take their nearest solid colour first, so the silhouette's rim is no edge."""
    img = np.ascontiguousarray(rgb[..., :3]).astype(np.uint8)
    if not solid.all() and solid.any():
        _, idx = ndimage.distance_transform_edt(~solid, return_indices=True)
        img = img[idx[0], idx[1]]
    lab = cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    t = np.zeros((*solid.shape, 3), np.float32)
    for ch in range(3):
        gx = cv2.Sobel(lab[..., ch], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(lab[..., ch], cv2.CV_32F, 0, 1, ksize=3)
        t[..., 0] += gx * gx
        t[..., 1] += gx * gy
        t[..., 2] += gy * gy
    return t


def _half_width(dist: np.ndarray, p: Point, x0: int, y0: int) -> float:
    x, y = round(p[0]) - x0, round(p[1]) - y0
    inside = 0 <= y < dist.shape[0] and 0 <= x < dist.shape[1]
    return max(float(dist[y, x]) if inside else 0.0, 2.0)


def _across_share(
    t: np.ndarray, solid: np.ndarray, dist: np.ndarray, sh: Point, el: Point, x0: int, y0: int
) -> float | None:
    """The share of the colour edges round an arm's root (inside the body, off its rim) that run across
    the arm (their gradient along it): high where the torso's outline cuts the arm."""
    s, e = np.asarray(sh) - (x0, y0), np.asarray(el) - (x0, y0)
    span = float(np.hypot(*(s - e)))
    ex, ey = round(float(e[0])), round(float(e[1]))
    if span < 1e-6 or not (0 <= ey < solid.shape[0] and 0 <= ex < solid.shape[1]):
        return None
    hw = max(float(dist[ey, ex]), 2.0)  # the arm's half-width at the elbow
    u = (s - e) / span
    n = np.array([u[1], -u[0]])
    al, ac = np.meshgrid(np.linspace(-1.5 * hw, hw, 12), np.linspace(-1.5 * hw, 1.5 * hw, 13))
    px = np.rint(s[0] + al * u[0] + ac * n[0]).astype(int).ravel()
    py = np.rint(s[1] + al * u[1] + ac * n[1]).astype(int).ravel()
    ok = (px >= 0) & (py >= 0) & (px < solid.shape[1]) & (py < solid.shape[0])
    px, py = px[ok], py[ok]
    keep = solid[py, px] & (dist[py, px] > 2)
    tt = t[py[keep], px[keep]]
    along = u[0] ** 2 * tt[:, 0] + 2 * u[0] * u[1] * tt[:, 1] + u[1] ** 2 * tt[:, 2]
    side = n[0] ** 2 * tt[:, 0] + 2 * n[0] * n[1] * tt[:, 1] + n[1] ** 2 * tt[:, 2]
    total = float(along.sum() + side.sum())
    return float(along.sum()) / total if total > 1e-6 else None


def side_view_sides(joints: dict[str, Point], rgb: np.ndarray, solid: np.ndarray) -> dict[str, Point] | None:
    """The joints with right and left renamed for a figure seen from the side in a stride, or None when
    the picture is no such side view or its near arm cannot be told (then the names stand)."""
    names = [f"{s}_{j}" for s in ("right", "left") for j in (*_ARM, *_LEG)]
    if any(k not in joints for k in [*names, "neck", "hip"]):
        return None
    bends = [_bend(*(joints[f"{s}_{j}"] for j in _ARM)) for s in ("right", "left")]
    if min(abs(b) for b in bends) < BEND or bends[0] * bends[1] <= 0:
        return None  # elbows that mirror each other (a front view) or straight arms
    up = np.asarray(joints["neck"]) - np.asarray(joints["hip"])
    if float(np.hypot(*up)) < 1e-6:
        return None
    image_right = np.array([-up[1], up[0]]) / float(np.hypot(*up))  # across the body, towards image right
    # Elbows point backwards, so the sign of their bend gives the facing: positive (y down) for a figure
    # facing the image's right, negative for its mirror image.
    fwd = image_right if bends[0] > 0 else -image_right

    def reach(s: str, chain: tuple[str, str, str]) -> float:
        return float((np.asarray(joints[f"{s}_{chain[2]}"]) - np.asarray(joints[f"{s}_{chain[0]}"])) @ fwd)

    hands = {s: reach(s, _ARM) for s in ("right", "left")}
    feet = {s: reach(s, _LEG) for s in ("right", "left")}
    if hands["right"] * hands["left"] >= 0 or feet["right"] * feet["left"] >= 0:
        return None  # not a stride: hands or feet not one forward and one back
    # Occlusion at the arms' roots, read in a window round both shoulders.
    pts = np.array([joints[f"{s}_{j}"] for s in ("right", "left") for j in _ARM])
    pad = int(0.5 * float(np.ptp(pts, axis=0).max())) + 4
    h, w = solid.shape
    x0, y0 = max(int(pts[:, 0].min()) - pad, 0), max(int(pts[:, 1].min()) - pad, 0)
    x1, y1 = min(int(pts[:, 0].max()) + pad, w), min(int(pts[:, 1].max()) + pad, h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    win = solid[y0:y1, x0:x1]
    t = _edge_tensor(rgb[y0:y1, x0:x1], win)
    dist = ndimage.distance_transform_edt(np.pad(win, 1)).astype(np.float32)[1:-1, 1:-1]
    # Seen from the side the shoulders overlap: across the body they lie within about an arm's width of
    # each other; in a front view the torso's whole width parts them.
    arm_w = sum(_half_width(dist, joints[f"{s}_elbow"], x0, y0) for s in ("right", "left"))
    spread = abs(
        float((np.asarray(joints["right_shoulder"]) - np.asarray(joints["left_shoulder"])) @ image_right)
    )
    if spread > SPREAD * arm_w:
        return None
    shares = {
        s: _across_share(t, win, dist, joints[f"{s}_shoulder"], joints[f"{s}_elbow"], x0, y0)
        for s in ("right", "left")
    }
    sr, sl = shares["right"], shares["left"]
    if sr is None or sl is None or max(sr, sl) < CROSS or abs(sr - sl) < APART:
        return None
    far_arm = "right" if sr > sl else "left"
    near_arm = "left" if far_arm == "right" else "right"
    near_name = "left" if float(fwd @ image_right) < 0 else "right"  # facing image left: left is near
    # The near leg swings opposite the near arm.
    near_leg = "right" if (feet["right"] > 0) != (hands[near_arm] > 0) else "left"
    out = dict(joints)
    other = {"right": "left", "left": "right"}
    for was, chain in ((near_arm, _ARM), (near_leg, _LEG)):
        for j in chain:
            out[f"{near_name}_{j}"] = joints[f"{was}_{j}"]
            out[f"{other[near_name]}_{j}"] = joints[f"{other[was]}_{j}"]
    return out
