"""The one exception the instrument engine raises.

Load-time errors (a broken file, a bad setting) are for the deploying engineer and
are plain English naming the file and the path inside it; an unknown instrument
code is translatable because a user can meet it. Answers that do not fit an
instrument are not exceptions: ``score`` reports them as problems of the result,
so that one call says everything that is wrong at once.
"""


class InstrumentError(Exception):
    """An instrument cannot be loaded, configured or found."""
