import Foundation
import Lance
import LanceArrow
import LanceKernels

extension BenchRunner {
    /// W7 (vector search: first query, QPS / p50 / p99 / recall@10 at nprobes × refine, brute force) and W8
    /// (prefilter, limit 500, nprobes 20), with `queries.npy` and `gt_ids.npy`, keys as in `pylance_workload.py`
    /// (the Lancelet API is reported as `lancelet_…`). The index: the dataset at env `LANCELET_W7_URI` (e.g. a
    /// copy indexed by pylance, to compare on the same index), else an IVF_PQ built with the workload's parameters
    /// into a hard-linked copy.
    /// W7X (only when named in `--only`; for profiling): exact search alone, the held-out queries in
    /// turn for `reps` × 20 queries over the unindexed dataset, p50 and the bytes of vectors per second.
    func runExactOnly(_ ds: Dataset, put: (String, BenchJSON) -> Void) async throws {
        let q = try NpyArray(path: dataDir + "/queries.npy")
        let dim = q.shape[1], values = q.floats()
        var lat: [Double] = []
        for i in 0 ..< 20 * max(1, reps) {
            let j = i % q.shape[0]
            let t = now()
            _ = try await ds.search(Array(values[j * dim ..< (j + 1) * dim]), column: "img_emb").bypassVectorIndex().limit(10)
                .select(["key"]).toBatch()
            lat.append(now() - t)
        }
        let rows = try await ds.countRows()
        let p50 = percentile(lat, 50)
        put("W7X_exact_p50_s", .number(round(p50, 6)))
        put("W7X_exact_min_s", .number(round(lat.min() ?? 0, 6)))
        put("W7X_vector_GB_per_s", .number(round(Double(rows * dim * 4) / p50 / 1e9, 2)))
    }

    /// `w7: false` runs W8 alone (its peak RSS then is W8's own, as in the reference's W8 process).
    func runW7W8(inputs: [String: Any], w7 wantsW7: Bool = true, put: (String, BenchJSON) -> Void) async throws {
        let queriesNpy = try NpyArray(path: dataDir + "/queries.npy")
        let gtNpy = try NpyArray(path: dataDir + "/gt_ids.npy")
        guard queriesNpy.shape.count == 2, gtNpy.shape.count == 2, gtNpy.shape[0] == queriesNpy.shape[0] else {
            throw BenchError("queries.npy / gt_ids.npy have unexpected shapes")
        }
        let dim = queriesNpy.shape[1], nq = queriesNpy.shape[0], gtK = gtNpy.shape[1]
        let qv = queriesNpy.floats(), gt = gtNpy.int64s()
        let queries = (0 ..< nq).map { Array(qv[($0 * dim) ..< (($0 + 1) * dim)]) }
        let k = (inputs["k"] as? NSNumber)?.intValue ?? 10
        let gt10 = (0 ..< nq).map { Set(gt[($0 * gtK) ..< ($0 * gtK + k)]) }
        let nprobes = (inputs["nprobes"] as? [NSNumber])?.map(\.intValue) ?? [10, 20, 50]
        let refines: [Int?] = [nil, 10]
        guard let filter = inputs["w4_filter"] as? String else { throw BenchError("workload_inputs.json lacks w4_filter") }

        let fm = FileManager.default
        var work: String?
        let indexed: String
        if let u = ProcessInfo.processInfo.environment["LANCELET_W7_URI"], !u.isEmpty {
            indexed = u
        } else {
            guard let ivf = inputs["ivf_pq"] as? [String: Any], let p = (ivf["num_partitions"] as? NSNumber)?.intValue else {
                throw BenchError("workload_inputs.json lacks ivf_pq.num_partitions")
            }
            let copy = try workCopy(named: "w7.lance")
            work = copy
            indexed = copy
            let t = now()
            _ = try await Dataset.open(indexed).createIndex(column: "img_emb", options: VectorIndexOptions(
                type: .ivfPQ, metric: .l2, numPartitions: p, numSubVectors: 48, seed: 42))
            log(String(format: "  W7 index built in %.1fs", now() - t))
        }
        defer { if let work { try? fm.removeItem(atPath: work) } }
        let ds = try await Dataset.open(indexed)
        func keys(_ b: RecordBatch) -> [Int64] {
            guard let c = b.column("key") else { return [] }
            return (0 ..< b.count).map { c.value($0, as: Int64.self) }
        }
        func recall(_ got: [[Int64]], _ truth: [Set<Int64>], _ kk: Int) -> Double {
            var s = 0.0
            for (g, t) in zip(got, truth) { s += Double(Set(g).intersection(t).count) / Double(kk) }
            return round(s / Double(max(1, got.count)), 4)
        }

        var t = now()
        if wantsW7 {
            _ = try await ds.search(queries[0], column: "img_emb").nprobes(10).limit(k).select(["key"]).toBatch()
            put("W7_first_query_s", .number(round(now() - t, 4)))
            for q in queries.prefix(50) {
                _ = try await ds.search(q, column: "img_emb").nprobes(20).limit(k).select(["key"]).toBatch()
            }
            var w7: [(String, BenchJSON)] = []
            for npb in nprobes {
                for rf in refines {
                    var lat: [Double] = [], ids: [[Int64]] = []
                    for q in queries {
                        t = now()
                        let b = try await ds.search(q, column: "img_emb").nprobes(npb).refineFactor(rf).limit(k)
                            .select(["key"]).toBatch()
                        lat.append(now() - t)
                        ids.append(keys(b))
                    }
                    let key = "lancelet_nprobes\(npb)_refine\(rf.map(String.init) ?? "none")"
                    let total = lat.reduce(0, +)
                    let v: BenchJSON = .object([("qps", .number(round(Double(nq) / total, 1))),
                                                ("p50_ms", .number(round(percentile(lat, 50) * 1e3, 3))),
                                                ("p99_ms", .number(round(percentile(lat, 99) * 1e3, 3))),
                                                ("recall@10", .number(recall(ids, gt10, k)))])
                    log("  " + key + " " + v.render().replacingOccurrences(of: "\n", with: ""))
                    w7.append((key, v))
                }
            }
            put("W7_vector_search", .object(w7))
            let nbf = min(20, nq)
            var lat: [Double] = [], ids: [[Int64]] = []
            for q in queries.prefix(nbf) {
                t = now()
                let b = try await ds.search(q, column: "img_emb").bypassVectorIndex().limit(k).select(["key"]).toBatch()
                lat.append(now() - t)
                ids.append(keys(b))
            }
            put("W7_bruteforce", .object([("queries", .int(nbf)), ("p50_s", .number(round(percentile(lat, 50), 6))),
                                          ("min_s", .number(round(lat.min() ?? 0, 6))), ("max_s", .number(round(lat.max() ?? 0, 6))),
                                          ("recall@10", .number(recall(ids, Array(gt10.prefix(nbf)), k)))]))
        }

        // W8: filtered search (prefilter), limit 500, nprobes 20.
        let nq8 = min(100, nq)
        _ = try await ds.search(queries[0], column: "img_emb").nprobes(20).limit(500).where(filter).select(["key"]).toBatch()
        var p50s: [Double] = [], counts: [Int] = []
        for _ in 0 ..< reps {
            var l: [Double] = []
            counts = []
            for q in queries.prefix(nq8) {
                t = now()
                let b = try await ds.search(q, column: "img_emb").nprobes(20).limit(500).where(filter)
                    .select(["key"]).toBatch()
                l.append(now() - t)
                counts.append(b.count)
            }
            p50s.append(percentile(l, 50))
        }
        put("W8_prefilter_limit500_nprobes20_p50_s", Stat(p50s).json)
        put("W8_mean_results", .number(round(Double(counts.reduce(0, +)) / Double(max(1, counts.count)), 1)))
    }
}
