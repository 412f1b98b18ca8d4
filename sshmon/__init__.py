"""The program shell: the `sshmon` command line, the one config loader and the composition
root that wires poller, store, alerts and the web app into one process."""
