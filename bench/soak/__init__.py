"""The soak: Guichet, a Celery worker and fake SMS/e-mail providers under
mixed traffic for a long while (``python -m bench.soak``)."""
