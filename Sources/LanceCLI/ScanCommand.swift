import ArgumentParser
import Lance

/// `lancelet scan`: prints rows.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan", abstract: "Print the rows of a dataset.")

    @OptionGroup var dataset: DatasetOptions

    @Option(name: .long, help: "Comma-separated column names (default: all).")
    var columns: String?

    @Option(name: .long, help: "Print at most this many rows.")
    var limit: Int?

    @Option(name: .long, help: "Skip this many rows first.")
    var offset: Int = 0

    @Flag(name: .long, help: "Add the _rowaddr column.")
    var withRowAddress = false

    @Flag(name: .long, help: "Add the _rowid column.")
    var withRowId = false

    @Option(name: .long, help: "Output format: jsonl, table, csv or arrow (an Arrow IPC stream).")
    var format: OutputFormat = .jsonl

    @Option(name: .long, help: "Only rows satisfying this SQL filter, e.g. '\"NSFW\" = 0 AND width >= 512'.")
    var `where`: String?

    @Option(name: .long, help: "Rows decoded per batch.")
    var batchSize: Int = 8192

    func validate() throws {
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
        if offset < 0 { throw ValidationError("--offset must not be negative") }
        if batchSize <= 0 { throw ValidationError("--batch-size must be positive") }
    }

    func run() async throws {
        try await runReportingErrors {
            let ds = try await dataset.open()
            var printer = BatchPrinter(format: format)
            var wrote = false
            if let filter = `where` { _ = try ds.bindFilter(filter) }  // report a bad filter before any output
            for try await batch in ds.scan(columns: parseColumns(columns), where: `where`, limit: limit, offset: offset,
                                           withRowAddress: withRowAddress, withRowId: withRowId, batchSize: batchSize) {
                try printer.write(batch)
                wrote = true
            }
            if !wrote && format != .jsonl {
                // No rows: still print the header of the table or CSV.
                try printer.write(try await ds.take(offsets: [], columns: parseColumns(columns),
                                                    withRowAddress: withRowAddress, withRowId: withRowId))
            }
            try printer.finish()
        }
    }
}
