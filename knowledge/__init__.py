"""frontdesk knowledge layer: the business's documents, and finding the passage that answers.

``documents`` reads md/txt/html/pdf, ``passages`` cuts them, ``encoder`` and ``embedding`` embed
them (a multilingual sentence encoder), ``store`` and ``schema`` keep them in the database,
``index``, ``lexical`` and ``language`` rank them (hybrid retrieval), ``commands`` is the CLI.
Imports only ``config``.
"""

__all__ = ["commands", "documents", "embedding", "encoder", "index", "language", "lexical",
           "passages", "schema", "store"]
