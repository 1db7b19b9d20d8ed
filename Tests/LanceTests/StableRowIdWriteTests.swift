import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import Testing
@testable import Lance

/// Writes to datasets with stable row ids: ids continue across appends, overwrites and
/// concurrent commits, deletes keep the others' ids, and pylance reads the same ids.
@Suite struct StableRowIdWriteTests {
    static let pyIds = """
    import json, sys, lance
    ds = lance.dataset(sys.argv[1])
    t = ds.to_table(with_row_id=True)
    print(json.dumps({"ids": t["id"].to_pylist(), "rowids": t["_rowid"].to_pylist(), "version": ds.version}))
    """

    func rowIds(_ ds: Dataset) async throws -> (ids: [Int64], rowIds: [UInt64]) {
        var ids: [Int64] = [], rowIds: [UInt64] = []
        for try await b in ds.scan(columns: ["id"], withRowId: true) {
            for i in 0 ..< b.count {
                ids.append(try b.columns[0].jsonValue(at: i).int64Value!)
                rowIds.append(UInt64(try b.columns[1].jsonValue(at: i).int64Value!))
            }
        }
        return (ids, rowIds)
    }

    @Test func appendDeleteOverwriteRestoreKeepIdsAndPylanceAgrees() async throws {
        let dir = try Python.tempDir("stable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = WriteOptions(dataStorageVersion: .v2_1, maxRowsPerFile: 40)
        o.enableStableRowIds = true
        let ds1 = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 100)], options: o)
        #expect(ds1.usesStableRowIds)
        #expect(ds1.manifest.nextRowID == 100)
        let ds2 = try await ds1.append([try WriteTests.batch(100 ..< 150)])
        #expect(ds2.manifest.nextRowID == 150)
        let ds3 = try await ds2.delete(offsets: [0, 5, 120])
        var (ids, rids) = try await rowIds(ds3)
        let kept = (0 ..< 150).filter { ![0, 5, 120].contains($0) }
        #expect(ids == kept.map(Int64.init))
        #expect(rids == kept.map(UInt64.init))
        var py = try Python.json(Self.pyIds, args: [dir]) as! [String: Any]
        #expect(py["rowids"] as! [Int] == kept)
        // Overwrite keeps stable row ids on and continues the counter, as pylance does.
        let ds4 = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 10)],
                                           options: WriteOptions(mode: .overwrite, dataStorageVersion: .v2_1))
        #expect(ds4.usesStableRowIds)
        (ids, rids) = try await rowIds(ds4)
        #expect(rids == (150 ..< 160).map(UInt64.init))
        // Restore of version 2 keeps the counter ahead of every id handed out.
        let ds5 = try await ds4.restore(2)
        #expect(ds5.manifest.nextRowID == 160)
        let ds6 = try await ds5.append([try WriteTests.batch(500 ..< 502)])
        (ids, rids) = try await rowIds(ds6)
        #expect(Array(rids.suffix(2)) == [160, 161])
        py = try Python.json(Self.pyIds, args: [dir]) as! [String: Any]
        #expect(py["rowids"] as! [Int] == rids.map { Int($0) })
        #expect(py["version"] as! Int == 6)
        // pylance appends after us: its ids continue from ours.
        _ = try Python.run("""
            import sys, lance, pyarrow as pa
            lance.write_dataset(pa.table({"id": pa.array([900, 901], pa.int64()), "s": ["a", "b"]}), sys.argv[1], mode="append")
            """, args: [dir])
        let ds7 = try await Dataset.open(dir)
        (ids, rids) = try await rowIds(ds7)
        #expect(Array(rids.suffix(2)) == [162, 163])
        #expect(Array(ids.suffix(2)) == [900, 901])
    }

    @Test func concurrentAppendsGetDistinctIds() async throws {
        let dir = try Python.tempDir("stable-conc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = WriteOptions()
        o.enableStableRowIds = true
        let base = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 5)], options: o)
        try await withThrowingTaskGroup(of: Void.self) { g in
            for k in 1 ... 6 {
                g.addTask { _ = try await base.append([try WriteTests.batch(k * 100 ..< k * 100 + 3)]) }
            }
            try await g.waitForAll()
        }
        let ds = try await Dataset.open(dir)
        let (ids, rids) = try await rowIds(ds)
        #expect(ids.count == 23)
        #expect(rids.sorted() == (0 ..< 23).map(UInt64.init))
        #expect(ds.manifest.nextRowID == 23)
    }

    @Test func deletionFilesDeclareZstdAndPylanceReadsThem() async throws {
        let dir = try Python.tempDir("delzstd")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Dataset.create(at: dir, schema: WriteTests.schema, batches: [try WriteTests.batch(0 ..< 50)])
        _ = try await ds.delete(offsets: [1, 2, 3])
        let out = try Python.json("""
            import json, sys, glob, lance, pyarrow.ipc as ipc
            f = glob.glob(sys.argv[1] + "/_deletions/*.arrow")[0]
            r = ipc.open_file(f)
            b = r.get_batch(0)
            print(json.dumps({"rows": sorted(b.column(0).to_pylist()), "count": lance.dataset(sys.argv[1]).count_rows()}))
            """, args: [dir]) as! [String: Any]
        #expect(out["rows"] as! [Int] == [1, 2, 3])
        #expect(out["count"] as! Int == 47)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir + "/_deletions")
        let bytes = [UInt8](FileManager.default.contents(atPath: dir + "/_deletions/" + files[0])!)
        let reader = try ArrowIPCFileReader(bytes: bytes)
        #expect(try reader.recordBatch(at: 0).columns[0].jsonValue(at: 2) == .int(3))
    }
}
