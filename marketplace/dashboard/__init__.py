"""The dashboard: my tasks, my bids, my contracts, each with its state, next action and deadline."""
from .routes import bp


def init_app(app):
    app.register_blueprint(bp)
