import Foundation
import LanceArrow
import LanceCore
import Testing
@testable import Lance

/// Table evolution and filtered mutations, checked both ways against pylance with
/// `scripts/conformance/evolve_check.py`: the same steps are applied by Lancelet to one copy of a
/// dataset and by pylance to another; pylance then compares every version of both (schema and
/// field ids, rows, operations, data files per fragment) and Lancelet reads both and compares rows.
@Suite struct EvolveTests {
    static var checker: String { Python.repoRoot.appendingPathComponent("scripts/conformance/evolve_check.py").path }

    static func readArrow(_ path: String) throws -> [RecordBatch] {
        try ArrowIPCFileReader(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path)))).recordBatches()
    }

    /// Every row of a version as sorted JSON lines (a multiset comparison independent of row order).
    static func rows(_ ds: Dataset) async throws -> [String] {
        let b = try await ds.toBatch()
        return try (0 ..< b.count).map { try RowRenderer.row(b, $0).serialized() }.sorted()
    }

    @Test func mutationsMatchPylanceBothWays() async throws {
        let dir = try Python.tempDir("evolve")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Python.run("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                           args: [Self.checker, "setup", dir])
        let uri = dir + "/lancelet.lance"
        var ds = try await Dataset.open(uri)
        ds = try await ds.addColumns(sql: [("dbl", "id * 2"), ("ratio", "CAST(w AS DOUBLE) / CAST(h AS DOUBLE)")])
        ds = try await ds.addColumns(nulls: [Field("n", .int32)])
        ds = try await ds.alterColumns([ColumnAlteration("dbl", rename: "twice"), ColumnAlteration("id", nullable: true)])
        ds = try await ds.alterColumns([ColumnAlteration("h", dataType: .int32)])
        ds = try await ds.dropColumns(["s"])
        ds = try await ds.merge(try Self.readArrow(dir + "/scores.arrow"), on: "id")
        ds = try await ds.delete(where: "id % 7 = 3")
        let u = try await ds.update(where: "id > 60", set: [("w", "w + 100"), ("n", "7")])
        #expect(u.updatedRows == 34)  // ids 61...99 but the 5 deleted ones
        ds = u.dataset
        let m1 = try await ds.mergeInsert(try Self.readArrow(dir + "/upsert.arrow"), on: "id", whenMatchedUpdateAll: true,
                                          whenNotMatchedInsertAll: true)
        #expect((m1.insertedRows, m1.updatedRows, m1.deletedRows) == (3, 9, 0))
        let m2 = try await m1.dataset.mergeInsert(try Self.readArrow(dir + "/upsert2.arrow"), on: "id",
                                                  whenMatchedUpdateAll: true, whenNotMatchedBySourceDelete: true)
        ds = try await m2.dataset.addColumns([Field("plus1", .int64)], reading: ["id"]) { batch in
            let ids = batch.columns[0]
            return [.primitive(.int64, values: (0 ..< batch.count).map { ids.value($0, as: Int64.self) &+ 1 })]
        }
        #expect(ds.version == 12)

        // pylance reads what Lancelet wrote and finds what it wrote itself.
        let diffs = try Python.json("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                    args: [Self.checker, "compare", dir]) as! [String]
        #expect(diffs == [])
        for d in diffs { print("DIFF", d) }

        // Lancelet reads what pylance wrote and finds what it wrote itself.
        for v in UInt64(1) ... 12 {
            let mine = try await Dataset.open(uri, version: .number(v))
            let theirs = try await Dataset.open(dir + "/pylance.lance", version: .number(v))
            #expect(mine.schema == theirs.schema, "version \(v)")
            let a = try await Self.rows(mine)
            let b = try await Self.rows(theirs)
            #expect(a == b, "version \(v)")
            #expect(try await mine.countRows() == theirs.countRows())
        }
    }

    /// Casts of fields inside structs (`evolve_check.py setup-nested`), in 2.0, 2.1 and 2.2 files:
    /// 2.1+ as pylance records them (only the cast members in the new file, the struct read back from
    /// both); 2.0 with the whole struct written again, since pylance's 2.0 reader takes a struct from
    /// one file (it cannot read its own result). Lancelet reads pylance's split structs, 2.0 included.
    @Test func nestedCastsMatchPylanceBothWays() async throws {
        let dir = try Python.tempDir("evolve-nested")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
        _ = try Python.run(run, args: [EvolveTests.checker, "setup-nested", dir])
        for fmt in ["2.0", "2.1", "2.2"] {
            var ds = try await Dataset.open(dir + "/\(fmt)/lancelet.lance")
            ds = try await ds.alterColumns([ColumnAlteration("s.a", dataType: .int64), ColumnAlteration("s.t.x", dataType: .int32)])
            ds = try await ds.alterColumns([ColumnAlteration("s.t.y", dataType: .float64), ColumnAlteration("h", dataType: .int32),
                                            ColumnAlteration("s.b", rename: "bb")])
            if fmt != "2.0" {
                ds = try await ds.update(where: "id = 2 OR id = 6", set: [("h", "h + 1000")]).dataset
                ds = try await ds.delete(where: "id = 5")
            }
            // A split struct reads whole, and its members filter.
            #expect(try await ds.countRows(where: "s.a >= 40 AND s.t.x < 9") == (fmt == "2.0" ? 2 : 1), "\(fmt)")
        }
        let diffs = try Python.json(run, args: [EvolveTests.checker, "compare-nested", dir]) as! [String]
        #expect(diffs == [])
        for d in diffs { print("DIFF", d) }

        for fmt in ["2.1", "2.2"] {
            for v in UInt64(1) ... 5 {
                let mine = try await Dataset.open(dir + "/\(fmt)/lancelet.lance", version: .number(v))
                let theirs = try await Dataset.open(dir + "/\(fmt)/pylance.lance", version: .number(v))
                #expect(mine.schema == theirs.schema, "\(fmt) version \(v)")
                #expect(try await Self.rows(mine) == Self.rows(theirs), "\(fmt) version \(v)")
            }
        }
        // pylance's 2.0 copy keeps the struct's other members in the old file: Lancelet reads it whole.
        let mine = try await Dataset.open(dir + "/2.0/lancelet.lance", version: .number(2))
        let theirs = try await Dataset.open(dir + "/2.0/pylance.lance", version: .number(2))
        #expect(try await Self.rows(mine) == Self.rows(theirs))
        #expect(try await theirs.toBatch(columns: ["s"], where: "s.b = 'b4'").count == 1)

        // Only structs may enclose a cast field.
        let lists = try await Dataset.create(
            at: dir + "/lists.lance",
            schema: Schema([Field("l", .list(Field("item", .struct([Field("a", .int32)]))))]),
            batches: [], options: WriteOptions())
        await expectCode(.unsupported) { try await lists.alterColumns([ColumnAlteration("l.item.a", dataType: .int64)]) }
    }

    static func small(_ dir: String) async throws -> Dataset {
        let schema = Schema([Field("id", .int64, nullable: false), Field("s", .utf8), Field("w", .int64)])
        let batch = try RecordBatch(schema: schema, columns: [
            .primitive(.int64, values: (0 ..< 20).map(Int64.init)),
            .strings((0 ..< 20).map { $0 % 5 == 0 ? nil : "s\($0)" }),
            .primitive(.int64, values: (0 ..< 20).map { Int64($0 * 100) }),
        ])
        return try await Dataset.create(at: dir + "/t.lance", schema: schema, batches: [batch],
                                        options: WriteOptions(maxRowsPerFile: 8))
    }

    @Test func badInputCommitsNothing() async throws {
        let dir = try Python.tempDir("evolve-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Self.small(dir)
        let v = ds.version
        let dupSchema = Schema([Field("id", .int64), Field("q", .float64)])
        let dup = try RecordBatch(schema: dupSchema, columns: [.primitive(.int64, values: [1, 2, 1]),
                                                               .primitive(.float64, values: [1.0, 2.0, 3.0])])
        await expectCode(.invalidInput) { try await ds.merge([dup], on: "id") }
        let i32 = try RecordBatch(schema: Schema([Field("id", .int32), Field("q", .float64)]),
                                  columns: [.primitive(.int32, values: [Int32(1)]), .primitive(.float64, values: [1.0])])
        await expectCode(.invalidInput) { try await ds.merge([i32], on: "id") }
        let clash = try RecordBatch(schema: Schema([Field("id", .int64), Field("w", .float64)]),
                                    columns: [.primitive(.int64, values: [Int64(1)]), .primitive(.float64, values: [1.0])])
        await expectCode(.invalidInput) { try await ds.merge([clash], on: "id") }
        await expectCode(.invalidInput) { try await ds.delete(where: "widht > 3") }
        await expectCode(.invalidInput) { try await ds.delete(where: "w >") }
        await expectCode(.invalidInput) { try await ds.update(where: "id = 1", set: [("nope", "1")]) }
        await expectCode(.invalidInput) { try await ds.dropColumns(["nope"]) }
        await expectCode(.invalidInput) { try await ds.addColumns(sql: [("w", "id + 1")]) }
        await expectCode(.invalidInput) { try await ds.addColumns(sql: [("z", "nope + 1")]) }
        await expectCode(.invalidInput) { try await ds.alterColumns([ColumnAlteration("s", nullable: false)]) }
        await expectCode(.invalidInput) { try await ds.alterColumns([ColumnAlteration("s", dataType: .int64)]) }
        await expectCode(.invalidInput) { try await ds.alterColumns([ColumnAlteration("w", dataType: .int8)]) }  // 1900 does not fit
        await expectCode(.invalidInput) { try await ds.alterColumns([ColumnAlteration("s", rename: "w")]) }
        await expectCode(.invalidInput) {
            try await ds.addColumns([Field("z", .int64)], reading: ["id"]) { b in [.primitive(.int32, values: [Int32](repeating: 0, count: b.count))] }
        }
        await expectCode(.invalidInput) { try await ds.mergeInsert([dup], on: "id", whenMatchedUpdateAll: true) }
        let latest = try await Dataset.open(dir + "/t.lance")
        #expect(latest.version == v)
    }

    @Test func evolutionValuesAndReadOnlyDeclaredColumns() async throws {
        let dir = try Python.tempDir("evolve-values")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var ds = try await Self.small(dir)
        ds = try await ds.delete(where: "id IN (3, 4, 5, 6, 7)")  // fragment 0 keeps 3 rows
        ds = try await ds.addColumns([Field("w2", .int64)], reading: ["w"]) { batch in
            #expect(batch.schema.fields.map(\.name) == ["w"])
            let w = batch.columns[0]
            return [.primitive(.int64, values: (0 ..< batch.count).map { w.value($0, as: Int64.self) * 2 })]
        }
        let keySchema = Schema([Field("id", .int64), Field("score", .float64)])
        let scores = try RecordBatch(schema: keySchema, columns: [.primitive(.int64, values: [19, 2, 11, 50]),
                                                                  .primitive(.float64, values: [1.9, 0.2, 1.1, 5.0])])
        ds = try await ds.merge([scores], on: "id")
        let t = try await ds.toBatch(columns: ["id", "w2", "score"])
        #expect(t.count == 15)
        for i in 0 ..< t.count {
            let id = t.columns[0].value(i, as: Int64.self)
            #expect(t.columns[1].value(i, as: Int64.self) == id * 200)
            let expected: [Int64: Double] = [19: 1.9, 2: 0.2, 11: 1.1]
            if let e = expected[id] {
                #expect(t.columns[2].value(i, as: Double.self) == e)
            } else {
                #expect(t.columns[2].isNull(i))
            }
        }
        // Rename and drop are metadata only: no new data file.
        let files = ds.fragments.map(\.files.count)
        ds = try await ds.alterColumns([ColumnAlteration("w2", rename: "double_w")])
        ds = try await ds.dropColumns(["s"])
        #expect(ds.fragments.map(\.files.count) == files)
        #expect(ds.schema.fields.map(\.name) == ["id", "w", "double_w", "score"])
        // update with a predicate that matches nothing commits nothing.
        let same = try await ds.update(where: "id > 1000", set: [("w", "0")])
        #expect(same.updatedRows == 0 && same.dataset.version == ds.version)
    }

    @Test func dropRebasesOverConcurrentAppendButMergeConflicts() async throws {
        let dir = try Python.tempDir("evolve-race")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await Self.small(dir)
        let more = try await ds.toBatch(limit: 2)
        _ = try await ds.append([more])
        // Computed against the old version: a projection applies on top of the append.
        let dropped = try await ds.dropColumns(["s"])
        #expect(try await dropped.countRows() == 22)
        #expect(dropped.schema.fields.map(\.name) == ["id", "w"])
        // A merge computed against an old fragment list must not silently lose rows.
        let scores = try RecordBatch(schema: Schema([Field("id", .int64), Field("q", .float64)]),
                                     columns: [.primitive(.int64, values: [Int64(1)]), .primitive(.float64, values: [1.0])])
        await expectCode(.commitConflict) { try await ds.merge([scores], on: "id") }
    }
}

@Suite struct EvolveStableRowIdTests {
    /// On a dataset with stable row ids, column additions, drops and deletes keep each fragment's row
    /// id sequence (pylance reads the same `_rowid`s).
    @Test func evolutionKeepsStableRowIds() async throws {
        let dir = try Python.tempDir("evolve-rowids")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try Python.run("""
            import sys, lance, pyarrow as pa
            t = pa.table({"id": pa.array(range(30), pa.int64()), "v": pa.array([i * 3 for i in range(30)], pa.int64())})
            lance.write_dataset(t, sys.argv[1] + "/r.lance", max_rows_per_file=10, enable_stable_row_ids=True)
            """, args: [dir])
        let uri = dir + "/r.lance"
        var ds = try await Dataset.open(uri)
        #expect(ds.usesStableRowIds)
        ds = try await ds.addColumns(sql: [("v2", "v + id")])
        ds = try await ds.delete(where: "id IN (4, 15)")
        ds = try await ds.dropColumns(["v"])
        let out = try Python.json("""
            import sys, json, lance
            t = lance.dataset(sys.argv[1]).to_table(with_row_id=True)
            print(json.dumps({k: t.column(k).to_pylist() for k in ["id", "v2", "_rowid"]}))
            """, args: [uri]) as! [String: [Int]]
        let expectedIds = (0 ..< 30).filter { $0 != 4 && $0 != 15 }
        #expect(out["id"] == expectedIds)
        #expect(out["v2"] == expectedIds.map { $0 * 4 })
        let mine = try await ds.toBatch(columns: ["id"], withRowId: true)
        #expect((0 ..< mine.count).map { Int(mine.columns[1].value($0, as: UInt64.self)) } == out["_rowid"])
    }

    /// update, merge insert (with inserts and with deletes by source), delete and append on a dataset
    /// with stable row ids, by Lancelet on one copy and pylance on another (`evolve_check.py
    /// setup-stable`): rewritten rows keep their `_rowid`, new rows get the next ones, and both
    /// libraries read the same rows with the same ids from every version of both copies.
    @Test func rowRewritesKeepStableRowIdsLikePylance() async throws {
        let dir = try Python.tempDir("evolve-stable")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let run = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
        _ = try Python.run(run, args: [EvolveTests.checker, "setup-stable", dir])
        let uri = dir + "/lancelet.lance"
        var ds = try await Dataset.open(uri)
        #expect(ds.usesStableRowIds)
        let u = try await ds.update(where: "id % 5 = 1", set: [("w", "w * 2"), ("s", "'u'")])
        #expect(u.updatedRows == 12)
        let m1 = try await u.dataset.mergeInsert(try EvolveTests.readArrow(dir + "/upsert.arrow"), on: "id",
                                                 whenMatchedUpdateAll: true, whenNotMatchedInsertAll: true)
        #expect((m1.insertedRows, m1.updatedRows) == (3, 3))
        ds = try await m1.dataset.delete(where: "id % 9 = 2")
        let m2 = try await ds.mergeInsert(try EvolveTests.readArrow(dir + "/upsert2.arrow"), on: "id",
                                          whenMatchedUpdateAll: true, whenNotMatchedBySourceDelete: true)
        ds = try await m2.dataset.update(where: "id >= 70 OR id = 3", set: [("w", "0.5")]).dataset
        ds = try await ds.append(try EvolveTests.readArrow(dir + "/append.arrow"))
        #expect(ds.version == 7)

        let diffs = try Python.json(run, args: [EvolveTests.checker, "compare-stable", dir]) as! [String]
        #expect(diffs == [])
        for d in diffs { print("DIFF", d) }

        for v in UInt64(1) ... 7 {
            let mine = try await Dataset.open(uri, version: .number(v))
            let theirs = try await Dataset.open(dir + "/pylance.lance", version: .number(v))
            let a = try await mine.toBatch(withRowId: true)
            let b = try await theirs.toBatch(withRowId: true)
            let ra = try (0 ..< a.count).map { try RowRenderer.row(a, $0).serialized() }.sorted()
            let rb = try (0 ..< b.count).map { try RowRenderer.row(b, $0).serialized() }.sorted()
            #expect(ra == rb, "version \(v)")
        }
        // A row id lookup by filter finds the rewritten row under its old id.
        let hit = try await ds.toBatch(columns: ["id"], where: "_rowid = 3")
        #expect(hit.count == 1 && hit.columns[0].value(0, as: Int64.self) == 3)
    }

    /// Several source rows matching one dataset row is an error (nothing is committed); duplicate
    /// keys that match nothing are all inserted, as pylance does.
    @Test func ambiguousUpsertIsAnError() async throws {
        let dir = try Python.tempDir("evolve-ambiguous")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ds = try await EvolveTests.small(dir)
        func source(_ ids: [Int64]) throws -> RecordBatch {
            try RecordBatch(schema: ds.schema, columns: [
                .primitive(.int64, values: ids), .strings(ids.map { "x\($0)" }),
                .primitive(.int64, values: ids.map { $0 * 7 }),
            ])
        }
        for ids: [Int64] in [[2, 2, 70], [70, 70, 2, 2], [2, 70, 2]] {
            await expectCode(.invalidInput) {
                try await ds.mergeInsert([try source(ids)], on: "id", whenMatchedUpdateAll: true, whenNotMatchedInsertAll: true)
            }
        }
        #expect(try await Dataset.open(dir + "/t.lance").version == ds.version)
        let r = try await ds.mergeInsert([try source([70, 70, 2])], on: "id", whenMatchedUpdateAll: true,
                                         whenNotMatchedInsertAll: true)
        #expect((r.insertedRows, r.updatedRows) == (2, 1))
        #expect(try await r.dataset.countRows(where: "id = 70") == 2)
    }
}
