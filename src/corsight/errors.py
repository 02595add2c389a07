"""The exceptions corsight raises to its users."""


class PolicyError(ValueError):
    """A CORS policy that cannot be right.

    The message is always ``"<setting>: <the value and what is wrong>; <how to fix it>"``, so
    that tools (``corsight lint``, Django's checks) can show the three parts apart.
    """
