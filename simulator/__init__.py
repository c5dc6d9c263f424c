"""The simulator behind ./run: an emulated network of replicas and clients.

Modules:
    config          load and validate a test configuration
    network         sockets, replica processes, routing, drops, partitions, kills
    clients         the eight clients: request generation, retries, bookkeeping
    scoring         statistics, correctness checks, performance tiers
    linearizability whole-history check of gets and puts against a register
    report          the assignment's output formats
    cli             the command line of ./run
"""
