"""Who the tests act as when they call the actions layer directly."""

from audit.actors import Actor

OPERATOR = Actor(kind="cli", name="pytest")
