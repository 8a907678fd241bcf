"""Sphinx settings of the course website, built by tools/build_site.py (``make site``) from
the executed solution notebooks (issue 19, item 9). Nothing is fetched at build time or when a
page is viewed: the theme (furo) ships its files in its wheel, and MathJax 2.7 is copied from
the jupyter-server-mathjax package into the site's ``_static/mathjax``."""

import shutil
from pathlib import Path

import jupyter_server_mathjax

project = "GAN course"
html_title = "GAN course"
author = "the gan-course authors"
extensions = ["myst_nb", "sphinx.ext.githubpages"]  # githubpages: .nojekyll for _static/
html_theme = "furo"
html_show_sourcelink = False
html_copy_source = False
html_show_copyright = False

# The notebooks arrive executed: myst-nb only renders them.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # widgets are made static by build_site.py: no widget scripts from a CDN
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header", "mystnb.unknown_mime_type"]

# MathJax 2 from the site itself. myst-parser marks every page "do not typeset" and its math
# "math"; MathJax 2's tex2jax is told to typeset exactly those (myst's MathJax 3 option would
# not reach version 2, hence myst_update_mathjax = False).
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
myst_update_mathjax = False
mathjax2_config = {
    "tex2jax": {"processClass": "tex2jax_process|mathjax_process|math|output_area",
                "ignoreClass": "tex2jax_ignore|mathjax_ignore"},
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web",
                 "imageFont": None},
    "showMathMenu": False,
    "messageStyle": "none",
}


def copy_mathjax(app, exception) -> None:
    """After a good build, put MathJax (without its SVG output and translations, which the
    settings above never load) into the site's ``_static/mathjax``."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(MATHJAX, target, ignore=shutil.ignore_patterns("SVG", "localization"))


def setup(app) -> None:
    app.connect("build-finished", copy_mathjax)
