"""What one `popcon` invocation shares between its commands: the settings and the use-case context.

The root callback puts a `CliContext` on Typer's context object; each command asks for it with
`cli_context(ctx)`, so command modules never import `popcon.cli.app` back (no import cycle) and a
command registered on another Typer app (tests) still works with default settings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from popcon.settings import Settings

if TYPE_CHECKING:  # the job machinery is imported only by commands that work on jobs
    from popcon.usecases.context import AppContext


@dataclass
class CliContext:
    data_dir: Path | None = None
    make_settings: Callable[[], Settings] | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            if self.make_settings is not None:
                self._settings = self.make_settings()
            else:
                self._settings = Settings(data_dir=self.data_dir) if self.data_dir else Settings()
        return self._settings

    def open(self, image_provider: str | None = None, video_provider: str | None = None) -> AppContext:
        """Store and runner for a command that works on jobs."""
        from popcon.usecases.context import open_context

        return open_context(self.settings, image_provider=image_provider, video_provider=video_provider)


def cli_context(ctx: typer.Context) -> CliContext:
    root = ctx.find_root()
    if not isinstance(root.obj, CliContext):
        root.obj = CliContext()
    return root.obj
