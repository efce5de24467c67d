"""Inference: turning a model and a request into a runner, a prompt and a stream of answers."""
