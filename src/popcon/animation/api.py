"""What the layers above (pipeline, use cases) call in the animation package: this module only.

The providers are its other clients and use its modules directly (the offline provider draws and
animates with them; the registry reads the sample's prompt); everything else goes through here, so the
package's inside can change without the pipeline noticing.
"""

from popcon.animation.autorig import auto_rig
from popcon.animation.mascot import sample_character

__all__ = ["auto_rig", "sample_character"]
