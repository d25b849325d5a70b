"""The OS sandbox every agent shell command runs in.

`policy` says what one command may see (its folder read-write, system folders
read-only, git metadata read-only, nothing of the user's home or of mda's own data);
`bubblewrap` (Linux) and `seatbelt` (macOS) turn that into a confined process;
`network` gives a sandbox outbound network without the host's loopback; `launcher`
picks what this machine can run, or says in one line why nothing can.
"""
