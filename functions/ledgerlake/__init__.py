"""ledgerlake: a serverless analytics and forecasting pipeline for company finance."""

__version__ = "0.1.0"


def _drop_prophet_plotly_notice() -> None:
    """Prophet logs "Importing plotly failed. Interactive plots will not work." at ERROR on
    import when plotly is absent; ledgerlake never draws Prophet's plots, so the line was
    noise a new user read as a failure on every run. A filter (not a level) so it holds
    whatever level the forecaster sets on that logger."""
    import logging

    logging.getLogger("prophet.plot").addFilter(lambda record: "plotly" not in record.getMessage().lower())


_drop_prophet_plotly_notice()
