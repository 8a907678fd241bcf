"""Interactive notebook tools built with ipywidgets, one a lesson: the 2-D GAN playground
(lesson 01, ``playground_widget``), the latent explorer (lesson 02, ``latent_explorer``), the
conditional explorer (lesson 03, ``conditional_explorer``), the translation explorer
(lesson 04, ``translation_explorer``), the pair explorer (lesson 08, ``pair_explorer``) and the
code explorer (lesson 10, ``code_explorer``);
``status``, ``latent_controls`` and ``timing`` are the parts
they share.

Nothing is imported here, so ``import gan_course`` stays light; import what you need, e.g.
``from gan_course.widgets.playground_widget import playground_widget``.
"""
