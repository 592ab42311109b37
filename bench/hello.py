"""The baseline: a one-route Flask "hello world", served by the same gunicorn settings as the site."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    """The cheapest response Flask can give: what the site's figures are divided by."""
    return "Hello, World!"
