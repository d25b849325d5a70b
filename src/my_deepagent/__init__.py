"""my-deepagent (`mda`): durable coding agents on Temporal.

Kept empty on purpose: `mda --help` imports this package, and nothing heavy
(deepagents, langchain, the Temporal worker) may load on that path.
"""

__version__ = "0.1.0"
