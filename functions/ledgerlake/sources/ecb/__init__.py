"""The European Central Bank's euro foreign exchange reference rates: FX as a polled feed.

`feed` knows the ECB's published formats (the gesmes XML of eurofxref-daily.xml,
eurofxref-hist-90d.xml and eurofxref-hist.xml; the CSV inside eurofxref-hist.zip), the
TARGET calendar the ECB publishes on, and the exact cross-rate rule the build uses.
`poll` fetches the feeds over HTTP and lands each document verbatim in the raw lake.
See docs/polling.md ("FX rates: the ECB feed").
"""
