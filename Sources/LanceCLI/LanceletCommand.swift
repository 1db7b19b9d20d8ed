import ArgumentParser

/// The `lancelet` command-line tool.
public struct LanceletCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lancelet",
        abstract: "Read, write and search Lance datasets.",
        subcommands: [])

    public init() {}
}
