"""The jupyter_server extension: REST routes for the JupyterLab sidebar and a pre-save hook.

``app`` (the ``ExtensionApp``, settings and wiring), ``handlers`` (thin ``APIHandler``s), ``core`` (the
plain-Python work, tested without a server), ``save_hook``, ``fix`` (replace a literal with code that
reads the token), ``errors`` (the one error type and its JSON). Importing this package imports nothing
of jupyter_server; ``app`` and ``handlers`` do.
"""
