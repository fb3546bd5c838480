"""The HTTP face of arbiter: OCP v2 routes, envelopes, authentication, the command line."""
