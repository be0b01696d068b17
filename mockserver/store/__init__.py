"""State of the mock: a SQLite document store shared by every worker process."""

from mockserver.store.sqlite import Condition, DocumentStore, Page

__all__ = ["Condition", "DocumentStore", "Page"]
