import Foundation
import LanceArrow
import LanceCore
import LanceIO
import Testing
@testable import Lance
import LanceTestSupport

/// Damaged datasets: every mutation of a manifest, data file or deletion file must end in a
/// `LanceError` or in a result that is consistent with itself — never a crash, a hang or another
/// error type. (The format has no checksums, so a flipped bit inside a value legitimately reads as
/// another value; what must never happen is an inconsistent or unchecked read.)
@Suite struct CorruptionTests {
    /// A small pylance-written dataset: two versions, two 2.2 fragments, one 2.0 fragment, a
    /// deletion file of each kind, nulls, strings, a list and a vector column.
    static func makeDataset() throws -> String {
        let dir = try Python.tempDir("corrupt")
        _ = try Python.run("""
            import sys, lance, pyarrow as pa, numpy as np
            uri = sys.argv[1] + "/ds.lance"
            n = 6100
            rng = np.random.default_rng(7)
            t = pa.table({
                "id": pa.array(np.arange(n), pa.int64()),
                "f": pa.array([None if i % 17 == 0 else float(i) / 3 for i in range(n)], pa.float64()),
                "s": pa.array(["s%d" % (i % 50) if i % 11 else None for i in range(n)]),
                "l": pa.array([[i, i + 1] if i % 5 else [] for i in range(n)], pa.list_(pa.int32())),
                "v": pa.FixedSizeListArray.from_arrays(pa.array(rng.random(n * 4, dtype=np.float32)), 4),
            })
            ds = lance.write_dataset(t, uri, max_rows_per_file=1000)
            ds = lance.write_dataset(t.slice(1000), uri, mode="overwrite")
            ds = lance.write_dataset(t.slice(0, 1000), uri, mode="append", max_rows_per_file=1000)
            ds.delete("id in (1, 2, 3)")
            ds.delete("id >= 1050 and id < 6090")
            t2 = t.slice(0, 100)
            lance.write_dataset(t2, uri, mode="append", data_storage_version="2.0")
            """, args: [dir])
        return dir + "/ds.lance"
    }

    /// All files of a dataset directory, keyed by their path relative to it.
    static func load(_ root: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: root) else { return out }
        for case let rel as String in e {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: root + "/" + rel, isDirectory: &isDir), !isDir.boolValue else { continue }
            out[rel] = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + rel)))
        }
        return out
    }

    /// Opens and scans everything; returns the rows seen and what countRows() said.
    static func readAll(_ files: [String: [UInt8]]) async throws -> (rows: Int, counted: Int) {
        let store = MemoryStore()
        for (k, v) in files { try await store.put(k, v) }
        let ds = try await Dataset.open(store: store)
        var rows = 0
        for try await b in ds.scan(withRowAddress: true) { rows += b.count }
        let taken = try await ds.take(offsets: [0, max(0, rows - 1)], columns: nil)
        #expect(taken.count == 2 || rows == 0)
        return (rows, try await ds.countRows())
    }

    @Test("10,000 damaged datasets: LanceError or a self-consistent read, never a crash")
    func mutations() async throws {
        let root = try Self.makeDataset()
        let files = try Self.load(root)
        let base = try await Self.readAll(files)
        #expect(base.rows == base.counted)
        #expect(base.rows == 6100 - 3 - 5040 + 100)

        // The files that matter: manifests, data files, deletion files (not the advisory hint or .txn).
        let targets = files.keys.filter {
            $0.hasSuffix(".manifest") || $0.hasSuffix(".lance") || $0.hasSuffix(".arrow") || $0.hasSuffix(".bin")
        }.sorted()
        #expect(targets.contains { $0.hasSuffix(".arrow") } && targets.contains { $0.hasSuffix(".bin") })
        let total = Int(ProcessInfo.processInfo.environment["LANCELET_MUTATIONS"] ?? "") ?? 10_000
        // Two workers (CI has two cores), each with its own seeded generator.
        let workers = 2
        let results = try await withThrowingTaskGroup(of: (Int, Int, Double, String).self) { group in
            for w in 0 ..< workers {
                group.addTask {
                    var rng = SplitMix64(state: 0x5EED &+ UInt64(w))
                    var errors = 0, consistent = 0
                    var slowest = (0.0, "")
                    for i in stride(from: w, to: total, by: workers) {
                        let started = Date()
                        let path = targets[i % targets.count]
                        let mutated = Self.mutate(files, path: path, using: &rng)
                        do {
                            let r = try await Self.readAll(mutated)
                            #expect(r.rows == r.counted, "mutation \(i) of \(path): scanned \(r.rows) rows but countRows() says \(r.counted)")
                            consistent += 1
                        } catch is LanceError {
                            errors += 1
                        } catch {
                            Issue.record("mutation \(i) of \(path) threw a non-Lance error: \(error)")
                        }
                        let took = Date().timeIntervalSince(started)
                        if took > slowest.0 { slowest = (took, "mutation \(i) of \(path)") }
                    }
                    return (errors, consistent, slowest.0, slowest.1)
                }
            }
            var all: [(Int, Int, Double, String)] = []
            for try await r in group { all.append(r) }
            return all
        }
        let errors = results.reduce(0) { $0 + $1.0 }
        let consistent = results.reduce(0) { $0 + $1.1 }
        let slowest = results.max { $0.2 < $1.2 }!
        print("corruption: \(errors) errors, \(consistent) consistent reads; slowest \(slowest.3) took \(slowest.2) s")
        #expect(errors + consistent == total)
        #expect(errors > total / 10, "most damage to metadata must be detected (\(errors) errors)")
    }

    /// One random mutation of one file: truncation, bit flip, a run of 0xFF (huge lengths), random
    /// bytes, or a zeroed run; half of them aimed at the last 4 KiB, where the metadata lives.
    static func mutate(_ files: [String: [UInt8]], path: String, using rng: inout SplitMix64) -> [String: [UInt8]] {
        var bytes = files[path]!
        let n = bytes.count
        let nearTail = Bool.random(using: &rng)
        func pos() -> Int {
            if nearTail { return max(0, n - 1 - Int.random(in: 0 ..< min(n, 4096), using: &rng)) }
            return Int.random(in: 0 ..< n, using: &rng)
        }
        switch Int.random(in: 0 ..< 5, using: &rng) {
        case 0: bytes.removeSubrange(pos() ..< n)
        case 1: let p = pos(); bytes[p] ^= UInt8(1 << Int.random(in: 0 ..< 8, using: &rng))
        case 2: let p = pos(); for k in p ..< min(n, p + 8) { bytes[k] = 0xFF }
        case 3: let p = pos(); for k in p ..< min(n, p + 4) { bytes[k] = UInt8.random(in: 0 ... 255, using: &rng) }
        default: let p = pos(); for k in p ..< min(n, p + 16) { bytes[k] = 0 }
        }
        var mutated = files
        mutated[path] = bytes
        return mutated
    }
}
