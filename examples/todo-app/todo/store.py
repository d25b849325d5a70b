"""In-memory to-do items with stable, increasing ids."""

from __future__ import annotations

from dataclasses import dataclass


class UnknownItemError(KeyError):
    """No item has this id."""


@dataclass
class Item:
    id: int
    title: str
    done: bool = False


class TodoList:
    def __init__(self) -> None:
        self._items: dict[int, Item] = {}
        self._next_id = 1

    def add(self, title: str) -> Item:
        title = title.strip()
        if not title:
            raise ValueError("title must not be empty")
        item = Item(id=self._next_id, title=title)
        self._items[item.id] = item
        self._next_id += 1
        return item

    def complete(self, item_id: int) -> Item:
        try:
            item = self._items[item_id]
        except KeyError:
            raise UnknownItemError(item_id) from None
        item.done = True
        return item

    def pending(self) -> list[Item]:
        return [item for item in self._items.values() if not item.done]
