"""corsight's benchmarks: the per-request time each CORS middleware adds, measured side by side
in one process, against the libraries people use today (Starlette for ASGI, flask-cors for WSGI).

Run ``python -m bench`` (or ``./run bench``); ``python -m bench --help`` lists the options.
These are benchmarks, not tests: they print figures and check them against corsight's targets.
"""
