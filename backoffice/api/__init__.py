"""The back office's API (``/api/v1/agent/...``): the dashboard's figures."""
