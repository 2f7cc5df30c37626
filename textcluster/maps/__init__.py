"""The parts of :mod:`textcluster.viz` (which re-exports their public names):

- :mod:`.projection`: 2-D projections of vectors (:class:`MapProjector`, :func:`project`);
- :mod:`.style`: colours, legend names and input checks shared by the two map formats;
- :mod:`.html_map`: the interactive plotly map (:func:`map_figure`, :func:`write_map_html`);
- :mod:`.png_map`: the static matplotlib map (:func:`write_map_png`) and its CJK fonts;
- :mod:`.words`: word neighbourhoods in word-vector space.
"""
