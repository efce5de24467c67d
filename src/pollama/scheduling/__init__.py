"""Parts of the scheduler (``pollama.scheduler``): runner entries and the default probes."""
