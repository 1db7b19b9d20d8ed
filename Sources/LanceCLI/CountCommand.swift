import ArgumentParser
import Lance

/// `lancelet count`: prints the number of rows, optionally of those satisfying a filter.
struct CountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count", abstract: "Count the rows of a dataset (optionally those matching a SQL filter).")

    @OptionGroup var dataset: DatasetOptions

    @Option(name: .long, help: "Count only rows satisfying this SQL filter.")
    var `where`: String?

    @Flag(name: .long, help: "Print {\"count\": N}.")
    var json = false

    func run() async throws {
        try await runReportingErrors {
            let ds = try await dataset.open()
            let n = try await ds.countRows(where: `where`)
            print(json ? "{\"count\": \(n)}" : "\(n)")
        }
    }
}
