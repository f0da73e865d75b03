"""The demonstration: the Seine-Saint-Denis demo data and its commands.

The top layer, beside notifications, mediation and privacy: it may import any
app below ``config`` and none imports it. ``demo.seed.demo_seed`` is what
``manage.py seed_demo``, the tests and the benchmarks call.
"""
