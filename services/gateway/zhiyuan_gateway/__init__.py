"""The HTTP gateway: authenticates, checks roles and shapes, forwards to the services over NATS."""
