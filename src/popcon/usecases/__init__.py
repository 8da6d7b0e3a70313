"""Use cases: what a user can do with a job, one function each, shared by the CLI and the web app.

The shells parse, call one of these and render; nothing in them reaches below this layer.
"""
