import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import Testing
@testable import Lance

/// Datasets written by Lancelet, checked by pylance 14 (and the reverse).
@Suite struct WriteTests {
    static let schema = Schema([Field("id", .int64, nullable: false), Field("s", .utf8)])

    static func batch(_ range: Range<Int>) throws -> RecordBatch {
        try RecordBatch(schema: schema, columns: [ArrayData.primitive(.int64, values: range.map(Int64.init)),
                                                 ArrayData.strings(range.map { "s\($0)" })])
    }

    static let inspect = """
    import json, sys, lance
    ds = lance.dataset(sys.argv[1])
    t = ds.to_table()
    print(json.dumps({"version": ds.version, "versions": [int(v["version"]) for v in ds.versions()],
                      "ids": t["id"].to_pylist(), "s": t["s"].to_pylist(),
                      "frags": [[f.fragment_id, f.metadata.physical_rows] for f in ds.get_fragments()],
                      "format": ds.data_storage_version}))
    """

    @Test(arguments: ["2.0", "2.1", "2.2"]) func createAppendOverwriteReadByPylance(fileVersion: String) async throws {
        let dir = try Python.tempDir("write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fv: FileVersion = fileVersion == "2.0" ? .v2_0 : fileVersion == "2.1" ? .v2_1 : .v2_2
        let ds1 = try await Dataset.create(at: dir, schema: Self.schema, batches: [try Self.batch(0 ..< 250)],
                                           options: WriteOptions(dataStorageVersion: fv, maxRowsPerFile: 100))
        #expect(ds1.version == 1)
        #expect(ds1.fragments.map(\.physicalRows) == [100, 100, 50])
        #expect(ds1.manifestPath.hasSuffix(ManifestFile.name(version: 1, naming: .v2)))
        var out = try Python.json(Self.inspect, args: [dir]) as! [String: Any]
        #expect(out["ids"] as! [Int] == Array(0 ..< 250))
        #expect(out["s"] as! [String] == (0 ..< 250).map { "s\($0)" })
        #expect(out["format"] as! String == fileVersion)
        #expect(out["frags"] as! [[Int]] == [[0, 100], [1, 100], [2, 50]])

        await #expect(throws: LanceError.self) {
            _ = try await Dataset.create(at: dir, schema: Self.schema, batches: [try Self.batch(0 ..< 1)])
        }
        let ds2 = try await ds1.append([try Self.batch(250 ..< 300)])
        #expect(ds2.version == 2)
        out = try Python.json(Self.inspect, args: [dir]) as! [String: Any]
        #expect(out["ids"] as! [Int] == Array(0 ..< 300))
        #expect(out["versions"] as! [Int] == [1, 2])
        #expect((out["frags"] as! [[Int]]).map { $0[0] } == [0, 1, 2, 3])

        // Wrong schema: named field.
        let other = Schema([Field("id", .int32, nullable: false), Field("s", .utf8)])
        do {
            _ = try await ds2.append(schema: other, batches: ArrayBatches([]))
            Issue.record("append with another schema succeeded")
        } catch let e as LanceError {
            #expect(e.code == .schemaMismatch)
            #expect(e.column == "id")
        }

        let ds3 = try await Dataset.create(at: dir, schema: Self.schema, batches: [try Self.batch(1000 ..< 1010)],
                                           options: WriteOptions(mode: .overwrite, dataStorageVersion: fv))
        #expect(ds3.version == 3)
        out = try Python.json(Self.inspect, args: [dir]) as! [String: Any]
        #expect(out["ids"] as! [Int] == Array(1000 ..< 1010))
        #expect((out["frags"] as! [[Int]]).map { $0[0] } == [4])

        // Pylance appends and deletes on our dataset; we read its result.
        _ = try Python.run("""
        import sys, lance, pyarrow as pa
        ds = lance.dataset(sys.argv[1])
        lance.write_dataset(pa.table({"id": pa.array([7, 8], pa.int64()), "s": ["x", "y"]}), sys.argv[1], mode="append")
        lance.dataset(sys.argv[1]).delete("id = 1003")
        """, args: [dir])
        let back = try await Dataset.open(dir)
        #expect(back.version == 5)
        let b = try await back.toBatch(columns: ["id"])
        let ids = (0 ..< b.count).map { Int(b.columns[0].value($0, as: Int64.self)) }
        #expect(ids == [1000, 1001, 1002, 1004, 1005, 1006, 1007, 1008, 1009, 7, 8])
    }

    @Test func deletesWriteFilesPylanceReads() async throws {
        let dir = try Python.tempDir("delete")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var ds = try await Dataset.create(at: dir, schema: Self.schema, batches: [try Self.batch(0 ..< 12000)],
                                          options: WriteOptions(maxRowsPerFile: 6000))
        ds = try await ds.delete(offsets: [1, 2, 3])
        ds = try await ds.delete(offsets: [1, 5])  // logical: rows 4 and 8
        ds = try await ds.delete(offsets: Array(5995 ..< 11495))  // 5500 rows of fragment 1 -> .bin
        #expect(ds.version == 4)
        #expect(ds.fragments.map { $0.deletionFile?.kind } == [.arrow, .bitmap])
        #expect(try await ds.countRows() == 12000 - 5 - 5500)
        let out = try Python.json(Self.inspect, args: [dir]) as! [String: Any]
        var expected = Array(0 ..< 12000).filter { ![1, 2, 3, 4, 8].contains($0) }
        expected.removeSubrange(5995 ..< 11495)
        #expect(out["ids"] as! [Int] == expected)
        // Deleting every row of fragment 0 drops it.
        ds = try await ds.delete(offsets: Array(0 ..< 5995))
        #expect(ds.fragments.map(\.id) == [1])
        let out2 = try Python.json(Self.inspect, args: [dir]) as! [String: Any]
        #expect(out2["ids"] as! [Int] == Array(expected[5995...]))
        // Restore brings version 2's content back as version 6.
        ds = try await ds.restore(2)
        #expect(ds.version == 6)
        #expect(try await ds.countRows() == 12000 - 3)
        let out3 = try Python.json(Self.inspect, args: [dir]) as! [String: Any]
        #expect((out3["ids"] as! [Int]).count == 11997)
    }

    @Test func concurrentAppendsLoseNoRows() async throws {
        let dir = try Python.tempDir("concurrent")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Dataset.create(at: dir, schema: Self.schema, batches: [try Self.batch(0 ..< 10)])
        let writers = 8
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 1 ... writers {
                group.addTask {
                    _ = try await ds.append([try Self.batch(w * 100 ..< w * 100 + 10)])
                }
            }
            try await group.waitForAll()
        }
        let latest = try await Dataset.open(dir)
        #expect(latest.version == UInt64(writers + 1))
        #expect(try await latest.versions().map(\.version) == Array(1 ... UInt64(writers + 1)))
        let out = try Python.json(Self.inspect, args: [dir]) as! [String: Any]
        let want = Array(0 ..< 10) + (1 ... writers).flatMap { Array($0 * 100 ..< $0 * 100 + 10) }
        #expect((out["ids"] as! [Int]).sorted() == want)
        #expect(Set((out["frags"] as! [[Int]]).map { $0[0] }).count == writers + 1)
    }

    @Test func conflictingDeletesAreRefused() async throws {
        let dir = try Python.tempDir("conflict")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Dataset.create(at: dir, schema: Self.schema, batches: [try Self.batch(0 ..< 10)])
        _ = try await ds.delete(offsets: [0])
        do {
            _ = try await ds.delete(offsets: [1])
            Issue.record("a delete of the same fragment on a stale version committed")
        } catch let e as LanceError {
            #expect(e.code == .commitConflict)
        }
        // An append based on the stale version still commits on top.
        let after = try await ds.append([try Self.batch(10 ..< 12)])
        #expect(after.version == 3)
        #expect(try await after.countRows() == 11)
    }

    /// A delete computed on a stale version commits on top of a concurrent append; pylance reads
    /// every version's transaction.
    @Test func staleDeleteRebasesOverAppendAndPylanceReadsTransactions() async throws {
        let dir = try Python.tempDir("rebase")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Dataset.create(at: dir, schema: Self.schema, batches: [try Self.batch(0 ..< 10)])
        _ = try await ds.append([try Self.batch(10 ..< 15)])
        let after = try await ds.delete(offsets: [2, 3])
        #expect(after.version == 3)
        #expect(after.fragments.map(\.id) == [0, 1])
        let out = try Python.json("""
        import json, sys, lance
        ds = lance.dataset(sys.argv[1])
        ops = [type(ds.read_transaction(v).operation).__name__ for v in (1, 2, 3)]
        print(json.dumps({"ids": ds.to_table()["id"].to_pylist(), "ops": ops,
                          "reads": [ds.read_transaction(v).read_version for v in (1, 2, 3)]}))
        """, args: [dir]) as! [String: Any]
        #expect(out["ids"] as! [Int] == [0, 1] + Array(4 ..< 15))
        #expect(out["ops"] as! [String] == ["Overwrite", "Append", "Delete"])
        #expect(out["reads"] as! [Int] == [0, 1, 1])
    }
}
