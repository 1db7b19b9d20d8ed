import Foundation
import LanceArrow
import LanceCore
import LanceIO
import Testing
@testable import Lance

/// Datasets written by pylance 14 from the tests, read back and compared with pylance's answers.
@Suite struct PylanceTests {
    /// Versions, tags, counts per version, fragments and both manifest namings.
    @Test(arguments: [true, false]) func metadataMatchesPylance(v2Names: Bool) async throws {
        let dir = try Python.tempDir("meta")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import json, sys, lance, pyarrow as pa
        uri, v2 = sys.argv[1], sys.argv[2] == "1"
        t = pa.table({"id": pa.array(range(9000), pa.int64()), "s": pa.array([str(i) for i in range(9000)])})
        ds = lance.write_dataset(t, uri, max_rows_per_file=4000, enable_v2_manifest_paths=v2)
        ds.delete("id < 10")
        ds = lance.write_dataset(t.slice(0, 100), uri, mode="append")
        ds.delete("id >= 4000 and id < 7900")
        ds.tags.create("second", 2)
        ds.tags.create("latest", ds.version)
        out = {"versions": [int(v["version"]) for v in ds.versions()],
               "counts": {str(v["version"]): lance.dataset(uri, version=v["version"]).count_rows() for v in ds.versions()},
               "tags": {k: int(v["version"]) for k, v in ds.tags.list().items()},
               "fragments": [[f.fragment_id, f.metadata.physical_rows, f.metadata.deletion_file.num_deleted_rows if f.metadata.deletion_file else 0,
                              f.metadata.deletion_file.file_type if f.metadata.deletion_file else None]
                             for f in ds.get_fragments()],
               "schema": [[f.name, str(f.type)] for f in ds.schema]}
        print(json.dumps(out))
        """
        let expected = try Python.json(script, args: [dir, v2Names ? "1" : "0"]) as! [String: Any]
        let ds = try await Dataset.open(dir)
        #expect(ds.manifestPath.hasSuffix(v2Names ? ManifestFile.name(version: ds.version, naming: .v2) : "\(ds.version).manifest"))
        let versions = try await ds.versions()
        #expect(versions.map { Int($0.version) } == expected["versions"] as! [Int])
        #expect(versions.map(\.timestamp) == versions.map(\.timestamp).sorted())
        for (v, count) in expected["counts"] as! [String: Int] {
            let old = try await Dataset.open(dir, version: .number(UInt64(v)!))
            #expect(try await old.countRows() == count, "version \(v)")
        }
        let tags = try await ds.tags()
        #expect(Dictionary(uniqueKeysWithValues: tags.map { ($0.name, Int($0.version)) }) == expected["tags"] as! [String: Int])
        #expect(tags.allSatisfy { $0.manifestSize != nil })
        let second = try await Dataset.open("file://" + dir, version: .tag("second"))
        #expect(second.version == 2)
        let frags = expected["fragments"] as! [[Any]]
        #expect(ds.fragments.map { Int($0.id) } == frags.map { $0[0] as! Int })
        #expect(ds.fragments.map(\.physicalRows) == frags.map { $0[1] as! Int })
        #expect(ds.fragments.map(\.deletedRows) == frags.map { $0[2] as! Int })
        #expect(ds.fragments.map { $0.deletionFile?.kind.rawValue } == frags.map { ($0[3] as? String).map { $0 == "bitmap" ? "bitmap" : "arrow" } })
        #expect(ds.schema.fields.map { [$0.name, $0.type.description] } == expected["schema"] as! [[String]])
    }

    /// A fixed-size list of structs (pylance 14 writes it in 2.2 and reads the column only on its own): the
    /// schema matches pylance's; reading the column is a clear `unsupported`, never wrong values; other
    /// columns read normally.
    @Test func fixedSizeListOfStructsIsRefusedNotMisread() async throws {
        let dir = try Python.tempDir("fslstruct")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import json, sys, lance, pyarrow as pa
        t = pa.struct([("a", pa.int32()), ("b", pa.string())])
        f = pa.array([[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}], [{"a": 3, "b": None}, None], None], pa.list_(pa.field("item", t), 2))
        ds = lance.write_dataset(pa.table({"id": pa.array([1, 2, 3], pa.int64()), "f": f}), sys.argv[1], data_storage_version="2.2")
        print(json.dumps([[x.name, str(x.type)] for x in ds.schema]))
        """
        let schema = try Python.json(script, args: [dir]) as! [[String]]
        let ds = try await Dataset.open(dir)
        #expect(ds.schema.fields.map { [$0.name, $0.type.description] } == schema)
        let ids = try await ds.toBatch(columns: ["id"])
        #expect((0 ..< ids.count).map { ids.columns[0].value($0, as: Int64.self) } == [1, 2, 3])
        do {
            _ = try await ds.toBatch(columns: ["f"])
            Issue.record("reading a fixed-size list of structs should fail")
        } catch let e as LanceError {
            #expect(e.code == .unsupported && e.description.contains("`f`"), "\(e)")
        }
    }

    /// `take` across fragments with deletions returns pylance's rows (bitmap deletion files, 2.0 files).
    @Test func takeAcrossFragmentsWithDeletionsMatchesPylance() async throws {
        let dir = try Python.tempDir("take")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import json, sys, lance, pyarrow as pa
        uri = sys.argv[1]
        n = 15000
        t = pa.table({"id": pa.array(range(n), pa.int64()), "s": pa.array(["s%d" % i for i in range(n)])})
        ds = lance.write_dataset(t, uri, max_rows_per_file=6000, data_storage_version="2.0")
        ds.delete("id >= 100 and id < 5200")
        ds.delete("id >= 6000 and id < 11500 and id != 7777")
        offsets = [0, 99, 100, 899, 900, 901, 902, 1400, 1401, 1402, 4000, 5000, 5800, 901, 0]
        offsets = [o for o in offsets if o < ds.count_rows()]
        tb = ds.take(offsets, columns=["id", "s", "_rowaddr"])
        scan = ds.to_table(columns=["id"], with_row_address=True, offset=850, limit=700)
        print(json.dumps({"offsets": offsets, "ids": tb["id"].to_pylist(), "s": tb["s"].to_pylist(),
                          "addr": tb["_rowaddr"].to_pylist(), "count": ds.count_rows(),
                          "scan_ids": scan["id"].to_pylist(), "scan_addr": scan["_rowaddr"].to_pylist()}))
        """
        let expected = try Python.json(script, args: [dir]) as! [String: Any]
        let ds = try await Dataset.open(dir)
        #expect(try await ds.countRows() == expected["count"] as! Int)
        let offsets = expected["offsets"] as! [Int]
        let b = try await ds.take(offsets: offsets, columns: ["id", "s"], withRowAddress: true)
        #expect(b.schema.names == ["id", "s", "_rowaddr"])
        let ids = b.column("id")!, s = b.column("s")!, addr = b.column("_rowaddr")!
        #expect((0 ..< b.count).map { Int(ids.value($0, as: Int64.self)) } == expected["ids"] as! [Int])
        #expect((0 ..< b.count).map { s.string($0) ?? "<null>" } == expected["s"] as! [String])
        #expect((0 ..< b.count).map { Int(addr.value($0, as: UInt64.self)) } == expected["addr"] as! [Int])
        // The same rows through a paged scan.
        var scanIds: [Int] = [], scanAddr: [Int] = []
        for try await batch in ds.scan(columns: ["id"], limit: 700, offset: 850, withRowAddress: true, batchSize: 1000) {
            let c = batch.column("id")!, a = batch.column("_rowaddr")!
            scanIds += (0 ..< batch.count).map { Int(c.value($0, as: Int64.self)) }
            scanAddr += (0 ..< batch.count).map { Int(a.value($0, as: UInt64.self)) }
        }
        #expect(scanIds == expected["scan_ids"] as! [Int])
        #expect(scanAddr == expected["scan_addr"] as! [Int])
    }

    /// Stable row ids survive deletes and appends as pylance reports them.
    @Test func stableRowIdsMatchPylance() async throws {
        let dir = try Python.tempDir("rowid")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import json, sys, lance, pyarrow as pa
        uri = sys.argv[1]
        t = pa.table({"id": pa.array(range(12000), pa.int64())})
        ds = lance.write_dataset(t, uri, max_rows_per_file=6000, enable_stable_row_ids=True, data_storage_version="2.0")
        ds.delete("id >= 500 and id < 5600")
        ds = lance.write_dataset(pa.table({"id": pa.array(range(20000, 20010), pa.int64())}), uri, mode="append")
        tb = ds.to_table(columns=["id"], with_row_id=True, with_row_address=True)
        tk = ds.take([0, 600, 6909, 6905], columns=["id", "_rowid"])
        print(json.dumps({"ids": tb["id"].to_pylist(), "rowid": tb["_rowid"].to_pylist(), "addr": tb["_rowaddr"].to_pylist(),
                          "take_rowid": tk["_rowid"].to_pylist()}))
        """
        let expected = try Python.json(script, args: [dir]) as! [String: Any]
        let ds = try await Dataset.open(dir)
        #expect(ds.usesStableRowIds)
        var rowIds: [Int] = [], addrs: [Int] = [], ids: [Int] = []
        for try await b in ds.scan(columns: ["id"], withRowAddress: true, withRowId: true) {
            #expect(b.schema.names == ["id", "_rowaddr", "_rowid"])
            ids += (0 ..< b.count).map { Int(b.columns[0].value($0, as: Int64.self)) }
            addrs += (0 ..< b.count).map { Int(b.columns[1].value($0, as: UInt64.self)) }
            rowIds += (0 ..< b.count).map { Int(b.columns[2].value($0, as: UInt64.self)) }
        }
        #expect(ids == expected["ids"] as! [Int])
        #expect(addrs == expected["addr"] as! [Int])
        #expect(rowIds == expected["rowid"] as! [Int])
        let t = try await ds.take(offsets: [0, 600, 6909, 6905], columns: [], withRowId: true)
        #expect((0 ..< t.count).map { Int(t.columns[0].value($0, as: UInt64.self)) } == expected["take_rowid"] as! [Int])
    }

    /// 2.2 files with both deletion kinds: take in arbitrary order with duplicates equals `ds.take`,
    /// and a paged scan equals `to_table(offset:limit:)`.
    @Test func takeWithArrowAndBitmapDeletionsMatchesPylance() async throws {
        let dir = try Python.tempDir("take22")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import json, sys, lance, pyarrow as pa
        uri = sys.argv[1]
        n = 14000
        t = pa.table({"id": pa.array(range(n), pa.int64()),
                      "s": pa.array([None if i % 7 == 0 else "v%d" % i for i in range(n)]),
                      "l": pa.array([[i, i + 1] if i % 5 else None for i in range(n)], pa.list_(pa.int32()))})
        ds = lance.write_dataset(t, uri, max_rows_per_file=6000)
        ds.delete("id in (0, 3, 5999, 100)")                    # fragment 0: .arrow
        ds.delete("id >= 6000 and id < 11200")                  # fragment 1: .bin
        ds.delete("id = 13999 or id = 12000")                   # fragment 2: .arrow
        offsets = [5995, 0, 1, 5996, 6700, 6700, 8790, 5997, 2, 8791, 10, 6000]
        tb = ds.take(offsets, columns=["id", "s", "l", "_rowaddr"])
        scan = ds.to_table(columns=["id", "s"], with_row_address=True, offset=5990, limit=820)
        print(json.dumps({"offsets": offsets, "take": tb.to_pylist(), "count": ds.count_rows(),
                          "kinds": [f.metadata.deletion_file.file_type for f in ds.get_fragments()],
                          "scan": scan.to_pylist()}))
        """
        let expected = try Python.json(script, args: [dir]) as! [String: Any]
        let ds = try await Dataset.open(dir)
        #expect(ds.fragments.map { $0.deletionFile?.kind.rawValue } == ["arrow", "bitmap", "arrow"])
        #expect(try await ds.countRows() == expected["count"] as! Int)
        func rows(_ b: RecordBatch) throws -> [JSONValue] {
            try (0 ..< b.count).map { try b.jsonRow($0) }
        }
        func pyRows(_ key: String) throws -> [JSONValue] {
            let data = try JSONSerialization.data(withJSONObject: expected[key]!)
            return try JSONValue.parse([UInt8](data)).arrayValue!
        }
        let b = try await ds.take(offsets: expected["offsets"] as! [Int], columns: ["id", "s", "l"], withRowAddress: true)
        let want = try pyRows("take")
        let got = try rows(b)
        #expect(got.count == want.count)
        for (g, w) in zip(got, want) { #expect(g.firstDifference(from: w, ignoringKeyOrder: true) == nil, "\(g.serialized()) vs \(w.serialized())") }
        var scanned: [JSONValue] = []
        for try await batch in ds.scan(columns: ["id", "s"], limit: 820, offset: 5990, withRowAddress: true, batchSize: 512) {
            scanned += try rows(batch)
        }
        let wantScan = try pyRows("scan")
        #expect(scanned.count == wantScan.count)
        for (g, w) in zip(scanned, wantScan) { #expect(g.firstDifference(from: w, ignoringKeyOrder: true) == nil, "\(g.serialized()) vs \(w.serialized())") }
    }

    /// `indices()` lists pylance's indices with its type names, field names, uuids and fragment ids.
    @Test func indicesMatchPylance() async throws {
        let dir = try Python.tempDir("indices")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = """
        import json, sys, lance, pyarrow as pa
        uri = sys.argv[1]
        n = 3000
        t = pa.table({"id": pa.array(range(n), pa.int64()), "cat": pa.array(["c%d" % (i % 4) for i in range(n)]),
                      "st": pa.array([{"x": i} for i in range(n)])})
        ds = lance.write_dataset(t, uri, max_rows_per_file=1000)
        ds.create_scalar_index("id", "BTREE")
        ds.create_scalar_index("cat", "BITMAP")
        ds = lance.write_dataset(t.slice(0, 10), uri, mode="append")
        out = [{"name": i["name"], "type": i["type"], "fields": list(i["fields"]), "uuid": str(i["uuid"]),
                "version": int(i["version"]), "fragments": sorted(int(f) for f in i["fragment_ids"])}
               for i in ds.list_indices()]
        print(json.dumps(sorted(out, key=lambda x: x["name"])))
        """
        let expected = try Python.json(script, args: [dir]) as! [[String: Any]]
        let ds = try await Dataset.open(dir)
        let got = try ds.indices()
        #expect(got.map(\.name) == expected.map { $0["name"] as! String })
        #expect(got.map(\.type) == expected.map { $0["type"] as! String })
        #expect(got.map(\.fields) == expected.map { $0["fields"] as! [String] })
        #expect(got.map(\.uuid) == expected.map { $0["uuid"] as! String })
        #expect(got.map { Int($0.datasetVersion) } == expected.map { $0["version"] as! Int })
        #expect(got.map { $0.fragmentIds?.map(Int.init) ?? [-1] } == expected.map { $0["fragments"] as! [Int] })
    }
}
