"""Animation without a model: auto-rig, part layers, framing, motions and keyframes, effects, mascot."""
