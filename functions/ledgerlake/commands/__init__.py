"""One module per `ledgerlake` subcommand; each defines `register(subparsers)`."""
