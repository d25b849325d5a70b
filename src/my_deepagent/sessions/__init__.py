"""Sessions: the interactive agent (REPL conversations, compaction, project memory)."""
