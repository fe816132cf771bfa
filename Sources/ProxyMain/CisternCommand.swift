import ArgumentParser

/// `cistern`: the root command. `serve` is the default subcommand, so `cistern` alone runs the server.
@main
struct CisternCommand: ParsableCommand {
    /// The release this binary was built from; printed by `cistern version` and `--version`.
    static let version = "0.1.0-dev"

    static let configuration = CommandConfiguration(
        commandName: "cistern",
        abstract: "A pull-through cache (registry mirror) for OCI and Docker registries.",
        discussion: """
            Point containerd at it with a hosts.toml mirror entry; requests carry ?ns=<registry>, \
            which must name a configured upstream. Settings come from the embedded defaults, then \
            the --config YAML file, then flags (flags win). See 'cistern serve --help' for the flags.
            """,
        version: version,
        subcommands: [ServeCommand.self, CacheCommand.self, StorageCommand.self, WarmCommand.self, VersionCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
