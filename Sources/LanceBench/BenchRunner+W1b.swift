import Foundation
import Lance
import LanceArrow

extension BenchRunner {
    /// Rows of the in-memory ingest (pylance_workload.py's `--ingest-rows` default).
    static let ingestRows = 50_000

    /// W1b: write the first 50,000 rows, held in memory, to a new dataset with default options
    /// (pylance: `lance.write_dataset(tbl, path)`), `reps` times. Same keys and units as
    /// pylance_workload.py, plus the peak RSS. The target directory is a fresh temporary one.
    func runW1b(_ ds: Dataset, rows total: Int, put: (String, BenchJSON) -> Void) async throws {
        let n = min(BenchRunner.ingestRows, total)
        var batches: [RecordBatch] = []
        for try await b in ds.scan(limit: n) { batches.append(b) }
        let nbytes = batches.reduce(0) { $0 + $1.byteCount }
        let schema = ds.schema
        let work = NSTemporaryDirectory() + "lancelet-w1b-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        PeakMemory.reset()
        var secs: [Double] = []
        var diskBytes = 0
        for r in 0 ..< reps {
            let path = work + "/ingest_\(r).lance"
            let t = now()
            let out = try await Dataset.create(at: path, schema: schema, batches: batches)
            secs.append(now() - t)
            guard try await out.countRows() == n else { throw BenchError("W1b wrote a dataset without \(n) rows") }
            diskBytes = BenchRunner.directoryBytes(path)
            try FileManager.default.removeItem(atPath: path)
        }
        put("W1b_ingest_rows", .int(n))
        put("W1b_ingest_rows_per_s", Stat(secs.map { Double(n) / $0 }, digits: 1).json)
        put("W1b_ingest_MBps_arrow", Stat(secs.map { Double(nbytes) / $0 / 1e6 }, digits: 1).json)
        put("W1b_ingest_MBps_disk", Stat(secs.map { Double(diskBytes) / $0 / 1e6 }, digits: 1).json)
        put("W1b_peak_rss_bytes", .int(Int(PeakMemory.read() ?? 0)))
    }

    static func directoryBytes(_ path: String) -> Int {
        guard let e = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let f = e.nextObject() as? String {
            let attrs = try? FileManager.default.attributesOfItem(atPath: path + "/" + f)
            if (attrs?[.type] as? FileAttributeType) == .typeRegular { total += (attrs?[.size] as? Int) ?? 0 }
        }
        return total
    }
}
