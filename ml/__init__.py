"""Plain-Python machine learning for the bike-share predictor.

Nothing here imports Django: the data set, training, evaluation and model I/O can be
used from a notebook, a script or the Django commands alike.
"""
