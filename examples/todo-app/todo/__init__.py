"""A tiny to-do list."""

from todo.store import Item, TodoList, UnknownItemError

__all__ = ["Item", "TodoList", "UnknownItemError"]
