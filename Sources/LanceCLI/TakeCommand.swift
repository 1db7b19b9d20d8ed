import ArgumentParser
import Lance

/// `lancelet take`: prints the rows at logical offsets, in the order given.
struct TakeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "take", abstract: "Print the rows at given offsets.")

    @OptionGroup var dataset: DatasetOptions

    @Option(name: .long, help: "Comma-separated row offsets (deleted rows are skipped when counting).")
    var offsets: String

    @Option(name: .long, help: "Comma-separated column names (default: all).")
    var columns: String?

    @Flag(name: .long, help: "Add the _rowaddr column.")
    var withRowAddress = false

    @Flag(name: .long, help: "Add the _rowid column.")
    var withRowId = false

    @Option(name: .long, help: "Output format: jsonl, table or csv.")
    var format: OutputFormat = .jsonl

    func parsedOffsets() throws -> [Int] {
        if offsets.trimmingSpaces().isEmpty { return [] }
        return try offsets.split(separator: ",", omittingEmptySubsequences: false).map {
            guard let v = Int(String($0).trimmingSpaces()), v >= 0 else {
                throw ValidationError("--offsets must be comma-separated non-negative integers (got `\($0)`)")
            }
            return v
        }
    }

    func validate() throws { _ = try parsedOffsets() }

    func run() async throws {
        let rows = try parsedOffsets()
        try await runReportingErrors {
            let ds = try await dataset.open()
            let batch = try await ds.take(offsets: rows, columns: parseColumns(columns),
                                          withRowAddress: withRowAddress, withRowId: withRowId)
            var printer = BatchPrinter(format: format)
            try printer.write(batch)
            try printer.finish()
        }
    }
}
