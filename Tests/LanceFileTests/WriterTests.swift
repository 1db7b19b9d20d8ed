import Foundation
import LanceArrow
import LanceCore
import LanceIO
@testable import LanceFile
import Testing

@Suite struct WriterTests {
    /// Every flat type (with nulls) for `version`.
    static func flatColumns(n: Int, seed: UInt64) -> [TestColumn] {
        var rng = TestRNG(seed: seed)
        var cols: [TestColumn] = [
            TestData.ints(.int8, Int8.self, n: n, rng: &rng),
            TestData.ints(.int16, Int16.self, n: n, rng: &rng),
            TestData.ints(.int32, Int32.self, n: n, rng: &rng),
            TestData.ints(.int64, Int64.self, n: n, rng: &rng, nulls: 0),
            TestData.ints(.uint8, UInt8.self, n: n, rng: &rng),
            TestData.ints(.uint16, UInt16.self, n: n, rng: &rng),
            TestData.ints(.uint32, UInt32.self, n: n, rng: &rng),
            TestData.ints(.uint64, UInt64.self, n: n, rng: &rng),
        ]
        cols += TestData.floats(n: n, rng: &rng)
        cols.append(TestData.bools(n: n, rng: &rng))
        cols += TestData.dates(n: n, rng: &rng)
        cols.append(TestData.fixedBinary(n: n, rng: &rng))
        cols.append(TestData.strings("str", large: false, n: n, rng: &rng))
        cols.append(TestData.strings("lstr", large: true, n: n, rng: &rng))
        cols.append(TestData.binaries("bin", type: .binary, n: n, sizes: 0 ..< 40, rng: &rng))
        cols.append(TestData.binaries("bigbin", type: .binary, n: n, sizes: 256 ..< 1000, rng: &rng))
        cols.append(TestData.vectors("vec4", dim: 4, n: n, nullable: true, rng: &rng))
        let nulls = ArrayData.primitive(.int32, [Int32?](repeating: nil, count: n))
        cols.append(TestColumn(field: Field("allnull", .int32), data: nulls, expected: [Any](repeating: NSNull(), count: n)))
        return cols
    }

    static func nestedColumns(n: Int, seed: UInt64, version: FileVersion) -> [TestColumn] {
        var rng = TestRNG(seed: seed)
        var cols: [TestColumn] = [
            TestData.intLists("ilist", large: false, n: n, rng: &rng),
            TestData.intLists("illist", large: true, n: n, rng: &rng),
            TestData.stringLists("slist", n: n, rng: &rng),
            TestData.structs("st", n: n, structNulls: false, rng: &rng),
        ]
        if version != .v2_0 {
            cols.append(TestData.structs("stn", n: n, structNulls: true, rng: &rng))
            cols.append(TestData.structLists("lst", n: n, rng: &rng))
            cols.append(TestData.nestedLists("ll", n: n, rng: &rng))
        }
        return cols
    }

    /// Writes `columns` in `batches` pieces and returns the file path and expected-values path.
    static func write(_ columns: [TestColumn], rows n: Int, version: FileVersion, dir: String, name: String,
                      batches: Int = 1, pageSize: Int = 8 << 20) async throws -> (String, String, FileSummary) {
        let arrow = Schema(columns.map(\.field))
        let schema = LanceSchema(assigningIdsTo: arrow)
        let path = dir + "/\(name).lance"
        let writer = try LanceFileWriter(path: path, schema: schema, version: version,
                                         options: LanceFileWriterOptions(pageSize: pageSize))
        let batch = try RecordBatch(schema: arrow, columns: columns.map(\.data))
        let per = (n + batches - 1) / batches
        var start = 0
        while start < n {
            let k = min(per, n - start)
            try await writer.write(batch.slice(start, k))
            start += k
        }
        let summary = try await writer.finish()
        let expected = dir + "/\(name).json"
        try PylanceCheck.writeExpected(columns, rows: n, version: version, to: expected)
        return (path, expected, summary)
    }

    @Test(arguments: [FileVersion.v2_0, .v2_1, .v2_2])
    func pylanceReadsEveryType(version: FileVersion) async throws {
        let dir = try PylanceCheck.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 300
        var files: [(String, String)] = []
        let flat = Self.flatColumns(n: n, seed: 1)
        let (p1, e1, s1) = try await Self.write(flat, rows: n, version: version, dir: dir, name: "flat")
        files.append((p1, e1))
        #expect(s1.rows == UInt64(n))
        #expect(s1.columnCount == flat.count)
        // Wide values: large binary (full-zip with 64-bit lengths) and 768-d embeddings.
        var rng = TestRNG(seed: 5)
        let wide = [
            TestData.binaries("lbin", type: .largeBinary, n: 40, sizes: 200 ..< 6000, rng: &rng),
            TestData.vectors("vec768", dim: 768, n: 40, nullable: false, rng: &rng),
            TestData.vectors("vec768n", dim: 768, n: 40, nullable: true, rng: &rng),
        ]
        let (pw, ew, _) = try await Self.write(wide, rows: 40, version: version, dir: dir, name: "wide")
        files.append((pw, ew))
        let nested = Self.nestedColumns(n: n, seed: 2, version: version)
        let (p2, e2, s2) = try await Self.write(nested, rows: n, version: version, dir: dir, name: "nested")
        files.append((p2, e2))
        // 2.0: one column per field (lists: offsets + items; structs: parent + members); 2.1+: leaves only.
        let expectedColumns = version == .v2_0 ? 2 + 2 + 2 + 3 : 1 + 1 + 1 + 2 + 2 + 2 + 1
        #expect(s2.columnCount == expectedColumns)
        // Many rows, several batches, small pages: multi-page columns and multi-chunk mini-blocks.
        let big = 5000
        var cols = Self.flatColumns(n: big, seed: 3)
        cols += Self.nestedColumns(n: big, seed: 4, version: version)
        let (p3, e3, s3) = try await Self.write(cols, rows: big, version: version, dir: dir, name: "paged", batches: 7, pageSize: 16 * 1024)
        files.append((p3, e3))
        #expect(s3.rows == UInt64(big))
        let (status, output) = try PylanceCheck.run(files)
        #expect(status == 0, "pylance check failed:\n\(output)")
    }

    @Test func pagesAreBoundedByPageSize() async throws {
        let dir = try PylanceCheck.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = TestRNG(seed: 9)
        let col = TestData.ints(.int64, Int64.self, n: 20_000, rng: &rng, nulls: 0)
        let (path, _, summary) = try await Self.write([col], rows: 20_000, version: .v2_1, dir: dir, name: "pages",
                                                      batches: 10, pageSize: 32 * 1024)
        let reader = try await LanceFileReader.open(LocalStore(root: dir).open(String(path.split(separator: "/").last!)))
        #expect(summary.size == reader.object.size)
        let pages = reader.columns[0].pages
        #expect(pages.count >= 4)
        #expect(pages.reduce(0) { $0 + $1.length } == 20_000)
        var row: UInt64 = 0
        for p in pages {
            #expect(p.priority == row)
            row += p.length
            #expect(p.bufferSizes.reduce(0, +) <= 2 * 32 * 1024)
            for o in p.bufferOffsets { #expect(o % 64 == 0) }
        }
    }

    @Test func containerMatchesTheReader() async throws {
        let schema = LanceSchema(assigningIdsTo: Schema([
            Field("id", .int64, nullable: false),
            Field("tags", .list(Field("item", .utf8))),
            Field("s", .struct([Field("a", .int32), Field("b", .float64)])),
        ]))
        for version in [FileVersion.v2_0, .v2_1, .v2_2] {
            let sink = MemoryFileSink()
            let writer = try LanceFileWriter(object: sink, schema: schema, version: version)
            let batch = try RecordBatch(schema: schema.arrowSchema, columns: [
                .primitive(.int64, values: [Int64(1), 2, 3]),
                .list(.strings(["a", "b", nil]), offsets: [0, 2, 2, 3]),
                .structure([(Field("a", .int32), .primitive(.int32, [Int32(1), nil, 3])),
                            (Field("b", .float64), .primitive(.float64, values: [1.5, 2.5, 3.5]))]),
            ])
            try await writer.write(batch)
            let summary = try await writer.finish()
            let bytes = await sink.bytes
            #expect(summary.size == UInt64(bytes.count))
            #expect(Array(bytes.suffix(4)) == Array("LANC".utf8))
            let store = MemoryStore()
            try await store.put("f.lance", bytes)
            let reader = try await LanceFileReader.open(try await store.open("f.lance"))
            #expect(reader.version == version)
            #expect(reader.rowCount == 3)
            #expect(try reader.schema() == schema)
            #expect(try reader.defaultColumnMap() == summary.fieldColumns)
            #expect(reader.columns.count == summary.columnCount)
            #expect(summary.columnCount == (version == .v2_0 ? 6 : 4))
            #expect(summary.fieldIds == (version == .v2_0 ? [0, 1, 2, 3, 4, 5] : [0, 2, 4, 5]))
            let major = bytes[bytes.count - 8], minor = bytes[bytes.count - 6]
            #expect((major, minor) == (version == .v2_0 ? (0, 3) : (2, UInt8(version.minor))))
        }
    }

    @Test func schemaMismatchNamesTheField() async throws {
        let schema = LanceSchema(assigningIdsTo: Schema([Field("id", .int64), Field("name", .utf8, nullable: false)]))
        let writer = try LanceFileWriter(object: MemoryFileSink(), schema: schema, version: .v2_1)
        let wrongType = try RecordBatch(schema: Schema([Field("id", .int64), Field("name", .int32)]),
                                        columns: [.primitive(.int64, values: [Int64(1)]), .primitive(.int32, values: [Int32(1)])])
        await #expect { try await writer.write(wrongType) } throws: { e in
            (e as? LanceError)?.code == .schemaMismatch && (e as? LanceError)?.column == "name"
        }
        let wrongName = try RecordBatch(schema: Schema([Field("id", .int64), Field("nom", .utf8)]),
                                        columns: [.primitive(.int64, values: [Int64(1)]), .strings(["x"])])
        await #expect { try await writer.write(wrongName) } throws: { e in
            (e as? LanceError)?.code == .schemaMismatch && (e as? LanceError)?.column == "name"
        }
        let nullInRequired = try RecordBatch(schema: Schema([Field("id", .int64), Field("name", .utf8)]),
                                             columns: [.primitive(.int64, values: [Int64(1)]), .strings([nil])])
        await #expect { try await writer.write(nullInRequired) } throws: { e in
            (e as? LanceError)?.code == .schemaMismatch && (e as? LanceError)?.column == "name"
        }
        let missing = try RecordBatch(schema: Schema([Field("id", .int64)]), columns: [.primitive(.int64, values: [Int64(1)])])
        await #expect { try await writer.write(missing) } throws: { e in (e as? LanceError)?.code == .schemaMismatch }
        // The writer still works after rejected batches.
        try await writer.write(try RecordBatch(schema: Schema([Field("id", .int64), Field("name", .utf8)]),
                                               columns: [.primitive(.int64, values: [Int64(7)]), .strings(["ok"])]))
        let s = try await writer.finish()
        #expect(s.rows == 1)
    }
}

@Suite struct PlainLeafEncodingTests {
    static func bytes(_ v: V21Encoder.Values) -> ([UInt8], Int, Int) {
        guard case .fixed(let b, let bits, let n, _) = v else { return ([], 0, 0) }
        return (b, bits, n)
    }

    /// The shortcut for top-level leaves without nulls produces exactly what the general path
    /// (levels, then a gather of every position) produces, for bools at any bit offset and for
    /// fixed-width values, including slices.
    @Test func plainValuesMatchTheGeneralGather() throws {
        var rng = TestRNG(seed: 21)
        let field = LanceField(id: 0, name: "x", type: .bool, nullable: false, logicalType: "bool")
        let flags = ArrayData.bools((0 ..< 1000).map { _ in rng.chance(0.5) })
        #expect(flags.validity == nil)
        let ints = ArrayData.primitive(.int32, values: (0 ..< 1000).map { _ in Int32(truncatingIfNeeded: rng.next()) })
        for a in [flags, ints] {
            for (start, count) in [(0, 1000), (3, 500), (8, 17), (5, 1), (0, 7), (13, 987)] {
                let s = a.slice(start, count)
                let plain = try #require(V21Encoder.plainValues(s))
                let general = try V21Encoder.gather(s, positions: Array(0 ..< count), valid: [Bool](repeating: true, count: count),
                                                    field: field)
                #expect(Self.bytes(plain) == Self.bytes(general), "\(a.type) \(start)+\(count)")
            }
        }
        let strings = ArrayData.strings(["a", "b"])
        #expect(V21Encoder.plainValues(strings).map(Self.bytes) == nil)
    }
}
