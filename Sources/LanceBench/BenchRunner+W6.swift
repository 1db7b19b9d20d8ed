import Foundation
import Lance

extension BenchRunner {
    /// W6: IVF_PQ build on `img_emb` (48 sub-vectors, 8 bits, L2, the workload's partition count), into a
    /// hard-linked copy of the dataset (`cp -al`, as `pylance_workload.py` does), `replace` on every rep.
    func runW6(inputs: [String: Any], put: (String, BenchJSON) -> Void) async throws {
        guard let ivf = inputs["ivf_pq"] as? [String: Any], let p = (ivf["num_partitions"] as? NSNumber)?.intValue else {
            throw BenchError("workload_inputs.json lacks ivf_pq.num_partitions")
        }
        let copy = try workCopy(named: "w6.lance")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var ds = try await Dataset.open(copy)
        PeakMemory.reset()
        var secs: [Double] = []
        for r in 0 ..< reps {
            let t = now()
            ds = try await ds.createIndex(column: "img_emb", options: VectorIndexOptions(
                type: .ivfPQ, metric: .l2, numPartitions: p, numSubVectors: 48, replace: true))
            secs.append(now() - t)
            log(String(format: "  W6 rep %d: %.1fs", r, secs[r]))
        }
        put("W6_ivfpq_params", .object([("num_partitions", .int(p)), ("num_sub_vectors", .int(48)), ("num_bits", .int(8)),
                                        ("metric", .string("L2"))]))
        put("W6_ivfpq_build_s", Stat(secs, digits: 2).json)
        put("W6_peak_rss_bytes", .int(Int(PeakMemory.read() ?? 0)))
    }
}
