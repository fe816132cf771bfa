import ArgumentParser

/// `cistern version`: prints the release name and exits.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the Cistern version."
    )

    func run() {
        print("cistern \(CisternCommand.version)")
    }
}
