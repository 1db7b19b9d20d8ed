import ArgumentParser

/// The `lancelet` command-line tool.
public struct LanceletCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "lancelet",
        abstract: "Read, write and search Lance datasets.",
        subcommands: [DemoCommand.self, InfoCommand.self, ScanCommand.self, TakeCommand.self, CountCommand.self,
                      SearchCommand.self, IndexCommand.self,
                      CreateCommand.self, AppendCommand.self, OverwriteCommand.self, DeleteCommand.self,
                      VersionsCommand.self, TagsCommand.self, RestoreCommand.self, CleanupCommand.self,
                      AddColumnsCommand.self, AlterColumnsCommand.self, DropColumnsCommand.self, MergeCommand.self,
                      UpdateCommand.self, MergeInsertCommand.self,
                      BenchCommand.self, BenchChildOpenCount.self])

    public init() {}

    /// Parses `arguments` (the process arguments when nil), runs the command and exits with its code:
    /// 0 on success, 1 on a runtime error, 64 on a usage error.
    public static func runAndExit(_ arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit()
        } catch {
            exit(withError: error)
        }
    }
}
