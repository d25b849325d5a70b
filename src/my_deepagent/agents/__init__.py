"""Building deepagents agents: model providers, middleware, prompts, backends.

No imports here: importing a submodule must not pull in langchain or openai.
"""
