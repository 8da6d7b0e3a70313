"""What the layers above (pipeline, use cases) call in the animation package: this module only.

The offline provider is the package's other client and uses its modules directly; everything else goes
through here, so the package's inside can change without the pipeline noticing.
"""

from popcon.animation.autorig import auto_rig
from popcon.animation.mascot import sample_character

__all__ = ["auto_rig", "sample_character"]
