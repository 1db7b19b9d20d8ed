import ArgumentParser
import Foundation
import Lance
import LanceCore

/// `lancelet index create|list|stats`.
struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Build and inspect indices.",
        subcommands: [IndexCreate.self, IndexList.self, IndexStats.self])
}

extension VectorIndexType: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}

/// `index create`: builds a vector index and commits it as a new version. Prints one JSON object.
struct IndexCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Build an IVF_PQ or IVF_FLAT index on a vector column (a new version).")

    @Argument(help: "Dataset path or file:// URI.")
    var uri: String

    @Option(name: .long, help: "The vector column (fixed_size_list of floats).")
    var column: String

    @Option(name: .long, help: "ivf_pq or ivf_flat.")
    var type: VectorIndexType = .ivfPQ

    @Option(name: .long, help: "l2, cosine or dot.")
    var metric: String = "l2"

    func validate() throws {
        if IndexMetric(name: metric) == nil { throw ValidationError("unknown metric `\(metric)` (l2, cosine, dot)") }
    }

    @Option(name: .long, help: "IVF partitions (default: rows / 8192 for IVF_PQ, rows / 4096 for IVF_FLAT).")
    var numPartitions: Int?

    @Option(name: .long, help: "PQ sub-vectors, dividing the dimension (default dim / 16).")
    var numSubVectors: Int?

    @Option(name: .long, help: "K-means iterations.")
    var maxIterations: Int = 50

    @Option(name: .long, help: "Training vectors per partition (and per PQ centroid).")
    var sampleRate: Int = 256

    @Option(name: .long, help: "Index name (default <column>_idx).")
    var name: String?

    @Flag(name: .long, help: "Replace an index with the same name.")
    var replace = false

    @Option(name: .long, help: "Seed for sampling and k-means (random by default).")
    var seed: UInt64?

    func run() async throws {
        try await runReportingErrors {
            let ds = try await Dataset.open(uri)
            let progress = StatusLine.forStandardError()
            var options = VectorIndexOptions(
                type: type, metric: IndexMetric(name: metric) ?? .l2, numPartitions: numPartitions, numSubVectors: numSubVectors,
                maxIterations: maxIterations, sampleRate: sampleRate, name: name, replace: replace, seed: seed)
            if let progress {
                options.progress = { @Sendable (p: IndexBuildProgress) in progress.show(p) }
            }
            let start = Date()
            let after = try await ds.createIndex(column: column, options: options)
            progress?.finish(keep: false)
            let secs: Double = Date().timeIntervalSince(start)
            let indexName: String = name ?? column + "_idx"
            let info: IndexInfo? = try after.listIndices().first { $0.name == indexName }
            var fields: [String] = []
            fields.append("\"name\":" + ValueText.jsonString(indexName))
            fields.append("\"type\":" + ValueText.jsonString(info?.type ?? type.rawValue))
            fields.append("\"uuid\":" + ValueText.jsonString(info?.uuid ?? ""))
            fields.append("\"version\":\(after.version)")
            fields.append("\"seconds\":" + String(format: "%.3f", secs))
            var out = StdoutWriter()
            out.write("{" + fields.joined(separator: ",") + "}\n")
            try out.flush()
        }
    }
}

/// `index list`: one JSON line per index, as pylance's `list_indices()`.
struct IndexList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the indices of a version.")

    @OptionGroup var dataset: DatasetOptions

    func run() async throws {
        try await runReportingErrors {
            let ds = try await dataset.open()
            var out = StdoutWriter()
            for i in try ds.listIndices() {
                out.write(IndexList.json(i) + "\n")
            }
            try out.flush()
        }
    }

    static func json(_ i: IndexInfo) -> String {
        let s = ValueText.jsonString
        let frags = i.fragmentIds.map { "[" + $0.map(String.init).joined(separator: ",") + "]" } ?? "null"
        return "{\"name\":\(s(i.name)),\"type\":\(s(i.type)),\"uuid\":\(s(i.uuid)),\"fields\":["
            + i.fields.map(s).joined(separator: ",") + "],\"version\":\(i.datasetVersion),\"fragment_ids\":\(frags)}"
    }
}

/// `index stats NAME`: one JSON object with pylance's `index_statistics` keys.
struct IndexStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Row coverage of an index.")

    @OptionGroup var dataset: DatasetOptions

    @Argument(help: "Index name.")
    var name: String

    func run() async throws {
        try await runReportingErrors {
            let ds = try await dataset.open()
            let st = try await ds.indexStats(name)
            let s = ValueText.jsonString
            var parts = [
                "\"index_type\":\(s(st.indexType))", "\"name\":\(s(st.name))", "\"num_indices\":\(st.numIndices)",
                "\"num_indexed_fragments\":\(st.numIndexedFragments)", "\"num_indexed_rows\":\(st.numIndexedRows)",
                "\"num_unindexed_fragments\":\(st.numUnindexedFragments)",
                "\"num_unindexed_rows\":\(st.numUnindexedRows)",
            ]
            if let m = st.metric { parts.append("\"metric_type\":\(s(m))") }
            if let p = st.partitionSizes {
                parts.append("\"num_partitions\":\(p.count)")
                parts.append("\"partition_sizes\":[" + p.map(String.init).joined(separator: ",") + "]")
            }
            var out = StdoutWriter()
            out.write("{" + parts.joined(separator: ",") + "}\n")
            try out.flush()
        }
    }
}

extension StatusLine {
    /// Shows an index build's stage and how far it is.
    func show(_ p: IndexBuildProgress) {
        update(phase: p.stage.rawValue, force: p.completed >= p.total) {
            let pct = p.total > 0 ? min(100, p.completed * 100 / p.total) : 0
            return "\(p.stage.rawValue): \(p.completed)/\(p.total) (\(pct)%)"
        }
    }
}
