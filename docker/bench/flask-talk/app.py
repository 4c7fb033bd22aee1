"""The Docker talk's accounts app, as the benchmark's slowest peer.

It answers the way the talk's curl shows it: POST / gets the three accounts
as JSON indented by four spaces, 228 bytes sent as text/html (the talk returns
a string, which Flask sends as HTML); any other method gets Flask's own 405
page with `Allow: POST, OPTIONS`.
"""
import json

from flask import Flask

ACCOUNTS = [
    {"id": 1, "name": "joe", "balance": 10},
    {"id": 2, "name": "bob", "balance": -1},
    {"id": 3, "name": "fred", "balance": 40},
]

app = Flask(__name__)


@app.route("/", methods=["POST"])
def accounts():
    return json.dumps(ACCOUNTS, indent=4)


if __name__ == "__main__":
    # Flask's development server, on every address, as the talk runs it.
    app.run(host="0.0.0.0", port=5000)
