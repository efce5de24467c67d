"""pollama: Ollama, in Python.

Pull, create, run and serve open large language models on your own machine, with Ollama's CLI,
REST API, Modelfile and on-disk model store.
"""

__version__ = "0.1.0"

# The Ollama release whose API pollama answers for; ``/api/version`` reports it because clients
# compare it against the Ollama versions that introduced the features they use.
OLLAMA_COMPAT_VERSION = "0.14.0"

__all__ = ["OLLAMA_COMPAT_VERSION", "__version__"]
