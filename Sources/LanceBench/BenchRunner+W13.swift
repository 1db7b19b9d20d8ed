import Foundation
import Lance
import LanceArrow
import LanceCore

extension BenchRunner {
    public static let subsetColumns = ["key", "image", "caption", "url", "img_emb"]

    /// W13: stream the W4-filtered subset (with images and embeddings) into a new dataset.
    func runW13(_ ds: Dataset, inputs: [String: Any], put: (String, BenchJSON) -> Void) async throws {
        guard let filter = inputs["w4_filter"] as? String else { throw BenchError("workload_inputs.json lacks w4_filter") }
        var fields: [Field] = []
        for name in BenchRunner.subsetColumns {
            guard let f = ds.schema.fields.first(where: { $0.name == name }) else { throw BenchError("no column \(name)") }
            fields.append(f)
        }
        let schema = Schema(fields)
        let root = dataDir + "/work-lancelet"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        var secs: [Double] = []
        var rows = 0
        var bytes = 0
        for r in 0 ..< reps {
            let path = root + "/subset_\(r).lance"
            try? FileManager.default.removeItem(atPath: path)
            let t = now()
            let out = try await Dataset.create(at: path, schema: schema,
                                               batches: ds.scan(columns: BenchRunner.subsetColumns, where: filter))
            secs.append(now() - t)
            rows = try await out.countRows()
            bytes = BenchRunner.directoryBytes(path)
            try FileManager.default.removeItem(atPath: path)
        }
        put("W13_rows", .int(rows))
        put("W13_bytes", .int(bytes))
        put("W13_materialize_s", Stat(secs).json)
        put("W13_MBps_disk", Stat(secs.map { Double(bytes) / $0 / 1e6 }, digits: 1).json)
    }
}
