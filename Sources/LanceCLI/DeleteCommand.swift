import ArgumentParser
import Lance
import LanceArrow

/// `lancelet delete URI --where SQL | --offsets 1,5,9`
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete the rows matching a SQL filter (or at row offsets) in a new version.")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "SQL filter of the rows to delete.")
    var `where`: String?

    @Option(name: .long, help: "Comma-separated logical row offsets to delete.")
    var offsets: String?

    func parsedOffsets() throws -> [Int]? {
        guard let offsets else { return nil }
        if offsets.trimmingSpaces().isEmpty { return [] }
        return try offsets.split(separator: ",", omittingEmptySubsequences: false).map {
            guard let v = Int(String($0).trimmingSpaces()), v >= 0 else {
                throw ValidationError("--offsets must be comma-separated non-negative integers (got `\($0)`)")
            }
            return v
        }
    }

    func validate() throws {
        if (`where` == nil) == (offsets == nil) { throw ValidationError("give exactly one of --where and --offsets") }
        _ = try parsedOffsets()
    }

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let before = try await ds.countRows()
            let out: Dataset
            if let w = `where` {
                out = try await ds.delete(where: w)
            } else {
                out = try await ds.delete(offsets: try parsedOffsets() ?? [])
            }
            let after = try await out.countRows()
            EvolveCLI.report([("version", .int(Int64(out.version))), ("num_deleted_rows", .int(Int64(before - after)))])
        }
    }
}
