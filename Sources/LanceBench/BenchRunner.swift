import Foundation
import Lance
import LanceArrow

/// Runs the standard LAION workload items that Lancelet implements, with the inputs of
/// `workload_inputs.json`, and reports them with the keys and units of `pylance_workload.py`.
public struct BenchRunner: Sendable {
    public static let scanColumns = ["key", "NSFW", "similarity", "width", "height"]
    public static let takeColumns = ["caption", "image"]
    /// Every item id, in run order; items not implemented yet are reported as null.
    public static let allItems = ["W1b", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10", "W11", "W12", "W13"]

    public var dataDir: String
    public var reps: Int
    public var only: Set<String>?
    /// The executable to spawn for W2 (a fresh process); normally this program.
    public var selfExecutable: String
    public var log: @Sendable (String) -> Void

    public init(dataDir: String, reps: Int, only: Set<String>?, selfExecutable: String,
                log: @escaping @Sendable (String) -> Void) {
        self.dataDir = dataDir
        self.reps = reps
        self.only = only
        self.selfExecutable = selfExecutable
        self.log = log
    }

    var uri: String { dataDir + "/laion.lance" }

    func wants(_ item: String) -> Bool { only.map { $0.contains(item) } ?? true }

    /// Runs the selected items and returns the report.
    public func run() async throws -> [(String, BenchJSON)] {
        var out: [(String, BenchJSON)] = []
        func put(_ key: String, _ value: BenchJSON) {
            out.append((key, value))
            log(key.padding(toLength: 40, withPad: " ", startingAt: 0) + " " + value.render().replacingOccurrences(of: "\n", with: ""))
        }
        let inputsData = try Data(contentsOf: URL(fileURLWithPath: dataDir + "/workload_inputs.json"))
        guard let inputs = try JSONSerialization.jsonObject(with: inputsData) as? [String: Any] else {
            throw BenchError("workload_inputs.json is not a JSON object")
        }
        let ds = try await Dataset.open(uri)
        let n = try await ds.countRows()
        let v0 = ds.version
        put("meta", .object([("lancelet", .string("dev")), ("rows", .int(n)), ("reps", .int(reps)),
                             ("fragments", .int(ds.fragments.count)), ("cpus", .int(ProcessInfo.processInfo.activeProcessorCount))]))

        if wants("W1b") { try await runW1b(ds, rows: n, put: put) }

        if wants("W2") {
            var openCount: [Double] = [], opens: [Double] = [], counts: [Double] = [], walls: [Double] = []
            for _ in 0 ..< max(5, reps) {
                let t = now()
                let output = try runChild([selfExecutable, "bench-child-open-count", uri])
                walls.append(now() - t)
                guard let obj = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
                      let o = obj["open"] as? Double, let c = obj["count"] as? Double
                else { throw BenchError("W2 child printed \(output)") }
                opens.append(o); counts.append(c); openCount.append(o + c)
            }
            put("W2_open_count_s", Stat(openCount).json)
            put("W2_open_s", Stat(opens).json)
            put("W2_count_s", Stat(counts).json)
            put("W2_process_wall_s", Stat(walls).json)
        }

        if wants("W3") {
            PeakMemory.reset()
            var secs: [Double] = []
            for _ in 0 ..< reps {
                let t = now()
                var rows = 0
                var batches: [RecordBatch] = []
                for try await b in ds.scan(columns: BenchRunner.scanColumns) {
                    rows += b.count
                    batches.append(b)
                }
                secs.append(now() - t)
                guard rows == n else { throw BenchError("W3 scanned \(rows) rows, expected \(n)") }
                batches.removeAll()
            }
            put("W3_scan_s", Stat(secs).json)
            put("W3_scan_rows_per_s", Stat(secs.map { Double(n) / $0 }, digits: 1).json)
            put("W3_peak_rss_bytes", .int(Int(PeakMemory.read() ?? 0)))
        }

        if wants("W5") {
            guard let offs = (inputs["take_1000_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let singles = (inputs["take_single_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue })
            else { throw BenchError("workload_inputs.json lacks take offsets") }
            PeakMemory.reset()
            var secs: [Double] = []
            var nbytes = 0
            for _ in 0 ..< reps {
                let t = now()
                let b = try await ds.take(offsets: offs, columns: BenchRunner.takeColumns)
                secs.append(now() - t)
                nbytes = b.byteCount
                guard b.count == offs.count else { throw BenchError("W5 took \(b.count) rows") }
            }
            put("W5_take1000_s", Stat(secs).json)
            put("W5_take1000_rows_per_s", Stat(secs.map { Double(offs.count) / $0 }, digits: 1).json)
            put("W5_take1000_MBps", Stat(secs.map { Double(nbytes) / $0 / 1e6 }, digits: 1).json)
            var p50s: [Double] = [], p99s: [Double] = []
            for _ in 0 ..< reps {
                var lat: [Double] = []
                for o in singles {
                    let t = now()
                    _ = try await ds.take(offsets: [o], columns: BenchRunner.takeColumns)
                    lat.append(now() - t)
                }
                p50s.append(round(percentile(lat, 50), 6))
                p99s.append(round(percentile(lat, 99), 6))
            }
            put("W5_single_take_p50_s", Stat(p50s).json)
            put("W5_single_take_p99_s", Stat(p99s).json)
            put("W5_peak_rss_bytes", .int(Int(PeakMemory.read() ?? 0)))
        }

        if wants("W4") { for (k, v) in try await runW4(ds: ds, inputs: inputs, n: n) { put(k, v) } }
        if wants("W6") { try await runW6(inputs: inputs, put: put) }
        // Items that do not report their own peak memory: reset the process's peak before each and
        // report it after (as `Wn_peak_rss_bytes`, like the reference side).
        func measured(_ item: String, _ body: () async throws -> Void) async throws {
            PeakMemory.reset()
            try await body()
            put(item + "_peak_rss_bytes", .int(Int(PeakMemory.read() ?? 0)))
        }
        if wants("W7") || wants("W8") { try await measured(wants("W7") ? "W7" : "W8") { try await runW7W8(inputs: inputs, w7: wants("W7"), put: put) } }
        if only?.contains("W7X") == true { try await runExactOnly(ds, put: put) }
        if wants("W10") { try await measured("W10") { try await runW10(rows: n, put: put) } }
        if wants("W11") { try await measured("W11") { try await runW11(put: put) } }
        if wants("W12") { try await measured("W12") { try await runW12(ds, rows: n, inputs: inputs, put: put) } }
        if wants("W13") { try await measured("W13") { try await runW13(ds, inputs: inputs, put: put) } }
        for item in BenchRunner.allItems where !["W1b", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W10", "W11", "W12", "W13"].contains(item) && wants(item) {
            put(item, .null)
        }

        // The input dataset must be unchanged.
        let after = try await Dataset.open(uri)
        guard after.version == v0, try await after.countRows() == n else {
            throw BenchError("the input dataset changed during the benchmark")
        }
        return out
    }

    /// The W2 child: open + count in a fresh process, printed as JSON.
    public static func childOpenCount(uri: String) async throws -> String {
        let t1 = now()
        let ds = try await Dataset.open(uri)
        let t2 = now()
        let n = try await ds.countRows()
        let t3 = now()
        return "{\"open\": \(t2 - t1), \"count\": \(t3 - t2), \"n\": \(n)}"
    }

    func runChild(_ argv: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("child \(argv) exited \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    init(_ d: String) { description = d }
}

extension RecordBatch {
    /// Bytes of all buffers (as pyarrow's `Table.nbytes` counts them, approximately).
    public var byteCount: Int { columns.reduce(0) { $0 + $1.byteCount } }
}

extension ArrayData {
    public var byteCount: Int {
        buffers.reduce(0) { $0 + $1.count } + (validity.map { ($0.count + 7) / 8 } ?? 0)
            + children.reduce(0) { $0 + $1.byteCount } + (dictionary?.byteCount ?? 0)
    }
}
