"""gan_course: the small library behind the GAN course's notebooks (every lesson, 01 to 07).
Each module's docstring names the lesson(s) it serves; each lesson's introduction names the
modules it uses.

Import the modules you need, for example ``from gan_course import data2d, mlp, losses``.
"""

__version__ = "0.1.0"
