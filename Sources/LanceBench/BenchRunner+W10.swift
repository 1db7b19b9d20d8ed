import Foundation
import Lance
import LanceArrow
import LanceCore

extension BenchRunner {
    /// W10, data evolution (keys as `pylance_workload.py`): the two SQL `add_columns` and the full
    /// `merge` of a `(key, aesthetic_score)` table, on a hard-linked copy of the dataset (the input
    /// is never mutated; new versions and data files go only to the copy).
    func runW10(rows n: Int, put: (String, BenchJSON) -> Void) async throws {
        let copy = try workCopy(named: "w10.lance")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        var ds = try await Dataset.open(copy)
        let exprs = [("aspect_ratio", "CAST(width AS DOUBLE) / CAST(height AS DOUBLE)"),
                     ("is_high_res", "width >= 512 AND height >= 512")]
        var secs: [Double] = []
        for r in 0 ..< reps {
            if r > 0 { ds = try await ds.dropColumns(exprs.map(\.0)) }
            let t = now()
            ds = try await ds.addColumns(sql: exprs.map { (name: $0.0, expression: $0.1) })
            secs.append(now() - t)
        }
        put("W10_add_columns_sql_s", Stat(secs).json)
        // A random permutation of the keys 0..<n with uniform scores in [1, 9) (the reference draws
        // them with numpy's generator; the values do not change the work).
        var state: UInt64 = 7
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var keys = (0 ..< n).map(Int64.init)
        for i in stride(from: n - 1, to: 0, by: -1) { keys.swapAt(i, Int(next() % UInt64(i + 1))) }
        let scores = (0 ..< n).map { _ in 1.0 + 8.0 * Double(next() >> 11) / Double(1 << 53) }
        let table = try RecordBatch(schema: Schema([Field("key", .int64), Field("aesthetic_score", .float64)]),
                                    columns: [.primitive(.int64, values: keys), .primitive(.float64, values: scores)])
        secs = []
        for r in 0 ..< reps {
            if r > 0 { ds = try await ds.dropColumns(["aesthetic_score"]) }
            let t = now()
            ds = try await ds.merge([table], on: "key")
            secs.append(now() - t)
        }
        put("W10_merge_on_key_s", Stat(secs).json)
        let chk = try await ds.toBatch(columns: ["key", "aesthetic_score", "aspect_ratio"], limit: 3)
        guard chk.count == 3, chk.columns[1].nullCount == 0 else { throw BenchError("W10: merged scores are missing") }
    }
}
