"""The LLM path: an OpenAI-compatible streaming client with tools, its prompt, and grounding (no
invented figure is spoken).
"""

__all__ = ["client", "grounding", "prompt"]
