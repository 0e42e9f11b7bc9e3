"""The dashboard: my tasks, my bids, my contracts, each with its state, next action and deadline."""


def init_app(app):
    from .routes import bp
    app.register_blueprint(bp)
