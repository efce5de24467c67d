"""pollama: Ollama, in Python.

Pull, create, run and serve open large language models on your own machine, with Ollama's CLI,
REST API, Modelfile and on-disk model store.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
