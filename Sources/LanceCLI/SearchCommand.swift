import ArgumentParser
import Lance
import LanceArrow
import LanceCore
import LanceKernels

/// `lancelet search`: k-nearest-neighbour search over a vector column.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the rows whose vectors are nearest a query vector.",
        discussion: """
            Uses the column's IVF_PQ / IVF_FLAT index when there is one (rows added after it was built are searched \
            exactly and merged), an exact scan otherwise. Each row carries `_distance` after the selected columns: \
            l2 = squared Euclidean, cosine = 1 - cosine similarity, dot = 1 - dot product (pylance 14's units).
            """)

    @OptionGroup var dataset: DatasetOptions

    @Option(name: .long, help: "The vector column (default: the dataset's only vector column).")
    var column: String?

    @Option(name: .long, help: "The query vector as a JSON array of numbers.")
    var vector: String?

    @Option(name: .long, help: "Use the vector of this row (offset among the live rows) as the query.")
    var vectorFromRow: Int?

    @Option(name: .long, help: "Number of results.")
    var k: Int = 10

    @Option(name: .long, help: "Skip this many results first.")
    var offset: Int = 0

    @Option(name: .long, help: "IVF partitions to probe.")
    var nprobes: Int = 20

    @Option(name: .long, help: "Re-rank k x this many index candidates with exact distances.")
    var refineFactor: Int?

    @Option(name: .long, help: "Distance: l2, cosine or dot (default: the index's, else l2).")
    var metric: String?

    @Option(name: .long, help: "SQL filter, applied before the search (use --postfilter to apply it after).")
    var `where`: String?

    @Flag(name: .long, help: "Apply --where to the search results instead of before the search.")
    var postfilter = false

    @Flag(name: .long, help: "Search exactly even when an index exists.")
    var bypassIndex = false

    @Flag(name: .long, help: "Add the _rowid column.")
    var withRowId = false

    @Option(name: .long, help: "Comma-separated columns to print before _distance (default: all).")
    var columns: String?

    @Option(name: .long, help: "Output format: jsonl, table or csv.")
    var format: OutputFormat = .jsonl

    func validate() throws {
        if (vector == nil) == (vectorFromRow == nil) {
            throw ValidationError("give exactly one of --vector and --vector-from-row")
        }
        if k < 0 { throw ValidationError("--k must not be negative") }
        if offset < 0 { throw ValidationError("--offset must not be negative") }
        if nprobes < 1 { throw ValidationError("--nprobes must be at least 1") }
        if let r = refineFactor, r < 1 { throw ValidationError("--refine-factor must be at least 1") }
        if let metric, DistanceMetric(name: metric) == nil {
            throw ValidationError("--metric must be l2, cosine or dot")
        }
        if postfilter && `where` == nil { throw ValidationError("--postfilter needs --where") }
    }

    func run() async throws {
        try await runReportingErrors {
            let ds = try await dataset.open()
            let query: [Float]
            if let text = vector {
                query = try SearchCommand.parseVector(text)
            } else {
                query = try await ds.vector(atRow: vectorFromRow!, column: column)
            }
            var q = ds.search(query, column: column).limit(k).offset(offset).nprobes(nprobes)
                .refineFactor(refineFactor).select(parseColumns(columns)).withRowId(withRowId)
                .bypassVectorIndex(bypassIndex)
            if let metric, let m = DistanceMetric(name: metric) { q = q.metric(m) }
            if let w = `where` { q = q.where(w, prefilter: !postfilter) }
            var printer = BatchPrinter(format: format)
            try printer.write(try await q.toBatch())
            try printer.finish()
        }
    }

    static func parseVector(_ text: String) throws -> [Float] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw LanceError.invalid("--vector is not valid JSON: \(error)")
        }
        guard let items = value.arrayValue, !items.isEmpty else {
            throw LanceError.invalid("--vector must be a non-empty JSON array of numbers")
        }
        return try items.map { item in
            switch item {
            case .int(let i): return Float(i)
            case .uint(let u): return Float(u)
            case .double(let d): return Float(d)
            default: throw LanceError.invalid("--vector must hold only numbers")
            }
        }
    }
}
