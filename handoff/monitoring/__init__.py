"""What an operator watches: Prometheus metrics at /metrics and the structured logs.

`metrics` holds the counters, histograms and the websocket gauge, changed where things happen
(and nothing else: it imports no Django, so any layer may count). `state` reads the gauges that
are facts in the database (the queue, the summaries due, the callbacks pending) when /metrics is
scraped. `logs` is the log context (request, case, user) and the two log formats.
"""
