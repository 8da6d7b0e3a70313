"""Animation without a model: auto-rig, part layers, framing, motions and keyframes, effects, mascot.

Callers outside the package use `popcon.animation.api` only. Which module holds what, and how to add
a motion: README.md beside this file.
"""
