//! A Kubernetes API server emulator: serves a snapshot as a live cluster on a loopback port.
