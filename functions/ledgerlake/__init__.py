"""ledgerlake: a serverless analytics and forecasting pipeline for company finance."""

__version__ = "0.1.0"
