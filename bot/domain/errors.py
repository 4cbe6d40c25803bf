"""What a person can get wrong: the core refuses the request and says why, and nothing is lost."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses, with a message fit to show the person who made it."""


class NotAllowed(ServiceError):
    pass


class NotFound(ServiceError):
    pass
