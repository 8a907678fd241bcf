"""Interactive notebook tools built with ipywidgets.

Nothing is imported here, so ``import gan_course`` stays light; import what you need, e.g.
``from gan_course.widgets.playground_widget import playground_widget``.
"""
