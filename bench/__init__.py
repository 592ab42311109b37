"""The benchmark harness: the site and a hello-world app under the same gunicorn, the same Locust load.

``make bench`` (or ``python -m bench [SCENARIO ...]``) runs every scenario in ``bench/scenarios/``;
see ``harness.py`` for what one run does and ``docs/performance.md`` for the figures.
"""
