"""PopCon: one character image in, platform-ready animated emoji and stickers out."""

__version__ = "0.1.0"
