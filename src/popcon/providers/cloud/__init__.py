"""Cloud generation clients (DashScope Wan, Gemini) behind the provider interfaces of `base.py`."""
