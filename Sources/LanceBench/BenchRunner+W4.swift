import Foundation
import Lance

extension BenchRunner {
    /// W4: filtered count and filtered scan of `key` with the workload's filter (the reference's
    /// `count_rows(filter=)` and `to_table(columns=["key"], filter=)`), same keys and units.
    func runW4(ds: Dataset, inputs: [String: Any], n: Int) async throws -> [(String, BenchJSON)] {
        guard let filter = inputs["w4_filter"] as? String else { throw BenchError("workload_inputs.json lacks w4_filter") }
        var out: [(String, BenchJSON)] = []
        var secs: [Double] = []
        var count = 0
        for _ in 0 ..< reps {
            let t = now()
            count = try await ds.countRows(where: filter)
            secs.append(now() - t)
        }
        out.append(("W4_count", .int(count)))
        out.append(("W4_selectivity", .number(round(Double(count) / Double(max(n, 1)), 4))))
        out.append(("W4_count_rows_filter_s", Stat(secs).json))
        secs = []
        PeakMemory.reset()
        for _ in 0 ..< reps {
            let t = now()
            let rows = try await ds.toBatch(columns: ["key"], where: filter).count
            secs.append(now() - t)
            guard rows == count else { throw BenchError("W4 scanned \(rows) rows, count said \(count)") }
        }
        out.append(("W4_scan_key_filter_s", Stat(secs).json))
        out.append(("W4_scan_rows_per_s", Stat(secs.map { Double(n) / $0 }, digits: 1).json))
        out.append(("W4_peak_rss_bytes", .int(Int(PeakMemory.read() ?? 0))))
        return out
    }
}
