"""Support-desk adapters behind one small interface (:class:`~supportdrill.desks.base.Desk`)."""
