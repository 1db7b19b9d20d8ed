import Foundation
import Lance
import LanceArrow

extension BenchRunner {
    /// A hard-linked copy of the input dataset under `DIR/work-lancelet/NAME` (Lance never rewrites a
    /// file, so mutating the copy leaves the input untouched). Replaces an earlier copy.
    func workCopy(named name: String) throws -> String {
        let fm = FileManager.default
        let root = dataDir + "/work-lancelet"
        let dst = root + "/" + name
        if fm.fileExists(atPath: dst) { try fm.removeItem(atPath: dst) }
        try fm.createDirectory(atPath: dst, withIntermediateDirectories: true)
        guard let walker = fm.enumerator(atPath: uri) else { throw BenchError("cannot list \(uri)") }
        while let rel = walker.nextObject() as? String {
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: uri + "/" + rel, isDirectory: &isDir)
            if isDir.boolValue {
                try fm.createDirectory(atPath: dst + "/" + rel, withIntermediateDirectories: true)
            } else {
                try fm.linkItem(atPath: uri + "/" + rel, toPath: dst + "/" + rel)
            }
        }
        return dst
    }

    /// W11: versioning on a copy with three extra versions (one-row deletes, as the reference side
    /// of `scripts/bench-compare` makes them): list versions, open the first version (and count it),
    /// create tags.
    func runW11(put: (String, BenchJSON) -> Void) async throws {
        let wuri = try workCopy(named: "w11.lance")
        defer { try? FileManager.default.removeItem(atPath: wuri) }
        var wds = try await Dataset.open(wuri)
        let v0 = wds.version
        for _ in 0 ..< 3 { wds = try await wds.delete(offsets: [0]) }
        let reps11 = max(10, reps)
        var secs: [Double] = []
        var count = 0
        for _ in 0 ..< reps11 {
            let t = now()
            count = try await wds.versions().count
            secs.append(now() - t)
        }
        put("W11_versions_count", .int(count))
        put("W11_list_versions_s", Stat(secs).json)
        secs = []
        for _ in 0 ..< reps11 {
            let t = now()
            _ = try await Dataset.open(wuri, version: .number(v0))
            secs.append(now() - t)
        }
        put("W11_open_old_version_s", Stat(secs).json)
        secs = []
        for _ in 0 ..< reps11 {
            let t = now()
            _ = try await Dataset.open(wuri, version: .number(v0)).countRows()
            secs.append(now() - t)
        }
        put("W11_open_old_version_count_s", Stat(secs).json)
        secs = []
        for i in 0 ..< reps11 {
            let t = now()
            try await wds.createTag("bench-tag-\(i)", version: v0)
            secs.append(now() - t)
        }
        put("W11_tag_create_s", Stat(secs).json)
    }

    /// W12 (the plain-take half): `w12_rows` rows of a seeded shuffle of all rows, taken in batches
    /// of `w12_batch_size` with the take columns. The shuffle is Lancelet's own (SplitMix64
    /// Fisher–Yates), not numpy's: the same sizes and batching, a different random order.
    func runW12(_ ds: Dataset, rows n: Int, inputs: [String: Any], put: (String, BenchJSON) -> Void) async throws {
        let want = min((inputs["w12_rows"] as? NSNumber)?.intValue ?? 20_000, n)
        let bs = max(1, (inputs["w12_batch_size"] as? NSNumber)?.intValue ?? 256)
        var secs: [Double] = []
        for r in 0 ..< reps {
            var state = UInt64(100 + r)
            func next() -> UInt64 {
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return z ^ (z >> 31)
            }
            var idx = Array(0 ..< n)
            for i in stride(from: n - 1, to: 0, by: -1) { idx.swapAt(i, Int(next() % UInt64(i + 1))) }
            let order = Array(idx.prefix(want))
            let t = now()
            var got = 0
            for start in stride(from: 0, to: want, by: bs) {
                got += try await ds.take(offsets: Array(order[start ..< min(want, start + bs)]),
                                         columns: BenchRunner.takeColumns).count
            }
            secs.append(now() - t)
            guard got == want else { throw BenchError("W12 took \(got) rows, expected \(want)") }
        }
        put("W12_lance_take_shuffled_rows_per_s", Stat(secs.map { Double(want) / $0 }, digits: 1).json)
    }
}
