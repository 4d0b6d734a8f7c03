"""``{glued-figure}``: a figure glued from another notebook, with a numbered caption.

myst-nb's ``{glue:figure}`` only pastes from the page's own notebook, and ``{glue}`` with
``:doc:`` (which pastes from another) makes no figure node, so Sphinx cannot number it. This
directive wraps ``{glue}``'s cross-document reference in a figure node with a name and a caption;
Sphinx numbers it (``numfig``, on in Jupyter Book) and myst-nb fills in the output when the page
is resolved:

    ```{glued-figure} attention_fig
    :doc: ../runs/book/tcga_brca/05_interpretability.ipynb
    :name: figure10-attention

    The caption: one paragraph.
    ```
"""

from docutils import nodes
from docutils.parsers.rst import directives
from myst_nb.ext.glue.utils import PendingGlueReferenceError, create_pending_glue_ref
from sphinx.util.docutils import SphinxDirective


class GluedFigure(SphinxDirective):
    required_arguments = 1  # the glue key
    has_content = True      # the caption
    option_spec = {"doc": directives.unchanged_required, "name": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        try:
            ref = create_pending_glue_ref(self.state.document, self.get_source_info()[0],
                                          self.lineno, self.options["doc"], self.arguments[0])
        except PendingGlueReferenceError as exc:
            raise self.error(str(exc)) from exc
        figure = nodes.figure("", ref)
        self.set_source_info(figure)
        self.add_name(figure)
        if self.content:
            parsed = nodes.Element()
            self.state.nested_parse(self.content, self.content_offset, parsed)
            first = parsed[0]
            if not isinstance(first, nodes.paragraph) or len(parsed) > 1:
                raise self.error("The caption of a glued-figure is one paragraph.")
            caption = nodes.caption(first.rawsource, "", *first.children)
            caption.source, caption.line = first.source, first.line
            figure += caption
        return [figure]


def setup(app):
    app.add_directive("glued-figure", GluedFigure)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
