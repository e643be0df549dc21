"""Signals of the deal workflow.

``transition`` is sent inside the transaction of every step from a match to a deal, right after
its audit event is written, so a receiver's own writes (an outbox row) commit or roll back with
the step. A receiver that sends mail or queues a task must do so with
``transaction.on_commit``.
"""

from __future__ import annotations

from django.dispatch import Signal

transition = Signal()
"""Sent after each step of the workflow has been written, inside its transaction.

Arguments:

- ``sender``: the ``deals.models.AuditEvent`` class.
- ``event``: the ``AuditEvent`` just written. ``event.verb`` is one of ``AuditEvent.Verb``
  (``viewed``, ``interest_expressed``, ``quote_updated``, ``withdrawn``, ``shortlisted``,
  ``declined``, ``awarded``, ``deal_recorded``); ``event.actor`` the user who acted,
  ``event.organization`` the organization they acted for, and ``event.match``,
  ``event.interest``, ``event.deal`` what it was about (any may be ``None``: a deal has no
  match, a view has no interest). ``event.data`` holds the details (the decline ``reason``,
  the deal's ``amount``…).

Who to tell: ``interest_expressed`` → the buyer (``event.interest.buyer``, members of it);
``shortlisted`` and ``declined`` → the supplier (``event.interest.supplier``);
``deal_recorded`` → both parties of ``event.deal``.
"""
