"""gan_course: the small library behind the GAN course's notebooks.

Import the modules you need, for example ``from gan_course import data2d, mlp, losses``.
"""

__version__ = "0.1.0"
