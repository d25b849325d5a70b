import pytest

from todo import TodoList, UnknownItemError


def test_added_items_are_pending_in_order() -> None:
    todos = TodoList()
    first = todos.add("buy milk")
    second = todos.add("  call mum ")
    assert [item.title for item in todos.pending()] == ["buy milk", "call mum"]
    assert second.id == first.id + 1


def test_completed_items_leave_pending() -> None:
    todos = TodoList()
    item = todos.add("buy milk")
    todos.complete(item.id)
    assert todos.pending() == []


def test_empty_title_is_refused() -> None:
    with pytest.raises(ValueError):
        TodoList().add("   ")


def test_unknown_id_is_refused() -> None:
    with pytest.raises(UnknownItemError):
        TodoList().complete(42)
