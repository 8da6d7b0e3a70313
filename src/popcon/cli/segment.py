"""`popcon segment`: cut one object out of an image from a few clicks (the /refine engine, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["parse_click", "register"]


def parse_click(text: str):  # type: ignore[no-untyped-def]
    """'X,Y,fg' or 'X,Y,bg' (also +/-, 1/0, pos/neg) -> Click."""
    from popcon.domain.errors import InvalidInput
    from popcon.vision.segment.base import Click

    parts = [p.strip().lower() for p in text.split(",")]
    if len(parts) == 2:
        parts.append("fg")
    if len(parts) != 3:
        raise InvalidInput(f"click {text!r} should look like X,Y,fg or X,Y,bg")
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError as e:
        raise InvalidInput(f"click {text!r}: X and Y must be numbers") from e
    if parts[2] in ("fg", "+", "1", "pos", "positive", "keep"):
        return Click(x, y, True)
    if parts[2] in ("bg", "-", "0", "neg", "negative"):
        return Click(x, y, False)
    raise InvalidInput(f"click {text!r}: label must be fg or bg")


def register(app: typer.Typer) -> None:
    """Add the `segment` command to the main app (called once from popcon.cli.app)."""

    @app.command()
    def segment(
        image: Annotated[Path, typer.Argument(help="The image to cut out (PNG, JPEG, WebP, ...).")],
        click: Annotated[
            list[str],
            typer.Option("--click", "-c", help="X,Y,fg or X,Y,bg in image pixels (repeatable)."),
        ],
        out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the RGBA PNG cut-out.")],
        backend: Annotated[
            str | None, typer.Option("--backend", "-b", help="classical (default) or sam2.")
        ] = None,
        prior: Annotated[
            Path | None, typer.Option("--prior", help="Current mask (grey or RGBA PNG) to refine.")
        ] = None,
        mask_out: Annotated[
            Path | None, typer.Option("--mask-out", help="Also write the soft mask as a grey PNG.")
        ] = None,
    ) -> None:
        """Cut out the object the clicks point at and write it as an RGBA PNG."""
        import numpy as np
        from PIL import Image
        from rich.console import Console

        from popcon.cli.app import settings
        from popcon.domain.errors import InvalidInput, PopconError
        from popcon.media.images import load_image
        from popcon.vision.segment.base import check_clicks
        from popcon.vision.segment.registry import get_segmenter

        err = Console(stderr=True)
        try:
            s = settings()
            rgba = np.asarray(load_image(image, max_bytes=s.max_upload_bytes, max_pixels=s.max_image_pixels))
            rgb = np.ascontiguousarray(rgba[..., :3])
            clicks = [parse_click(c) for c in click]
            check_clicks(clicks, rgb.shape[:2])
            prior_mask = None
            if prior is not None:
                if not prior.is_file():
                    raise InvalidInput(f"no such mask: {prior}")
                pm = Image.open(prior)
                prior_mask = np.asarray(pm.getchannel("A") if pm.mode in ("RGBA", "LA") else pm.convert("L"))
                if prior_mask.shape != rgb.shape[:2]:
                    raise InvalidInput(
                        f"prior {prior.name} is {prior_mask.shape[1]}x{prior_mask.shape[0]}, "
                        f"image is {rgb.shape[1]}x{rgb.shape[0]}"
                    )
            seg = get_segmenter(s, backend)
            mask = seg.predict(seg.prepare(rgb), clicks, prior=prior_mask)
            alpha = np.round(np.clip(mask, 0, 1) * 255).astype(np.uint8)
            out.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA").save(out)
            if mask_out is not None:
                Image.fromarray(alpha, mode="L").save(mask_out)
        except PopconError as e:
            err.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from e
        cover = float((alpha > 127).mean())
        typer.echo(f"{out}  ({seg.name}, {len(clicks)} clicks, {100 * cover:.1f}% of the image kept)")
