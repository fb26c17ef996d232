//! Networking: TCP and UDP sockets driven by the reactor.
