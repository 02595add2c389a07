"""The exceptions corsight raises to its users."""


class PolicyError(ValueError):
    """A CORS policy that cannot be right: the message names the setting, the value and the fix."""
