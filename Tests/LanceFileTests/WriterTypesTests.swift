import Foundation
import LanceArrow
import LanceCore
import LanceIO
@testable import LanceFile
import Testing

/// Columns the writer stores the way pylance 14.0.2 does: fixed-size lists with null items, of bools
/// and of fixed-size lists, wide fixed-size lists with null items (full-zip), dictionary columns.
extension TestData {
    /// fixed_size_list<int32, 4> with null lists and null items.
    static func fslNullItems(_ name: String, n: Int, rng: inout TestRNG) -> TestColumn {
        var items: [Int32?] = [], valid: [Bool] = [], expected: [Any] = []
        for _ in 0 ..< n {
            let row: [Int32?] = (0 ..< 4).map { _ in rng.chance(0.15) ? nil : Int32(truncatingIfNeeded: rng.next()) }
            items += row
            let ok = !rng.chance(0.1)
            valid.append(ok)
            expected.append(ok ? row.map { $0.map { Int($0) as Any } ?? NSNull() } as Any : NSNull())
        }
        let data = ArrayData.fixedSizeList(.primitive(.int32, items), size: 4, validity: valid)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// fixed_size_list<bool, dim> with null lists and null items.
    static func fslBools(_ name: String, dim: Int = 3, n: Int, rng: inout TestRNG) -> TestColumn {
        var items: [Bool?] = [], valid: [Bool] = [], expected: [Any] = []
        for _ in 0 ..< n {
            let row: [Bool?] = (0 ..< dim).map { _ in rng.chance(0.1) ? nil : rng.chance(0.5) }
            items += row
            let ok = !rng.chance(0.1)
            valid.append(ok)
            expected.append(ok ? row.map { $0.map { $0 as Any } ?? NSNull() } as Any : NSNull())
        }
        let data = ArrayData.fixedSizeList(.bools(items), size: dim, validity: valid)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// fixed_size_list<fixed_size_list<float32, inner>, outer> with nulls at every level (`nulls: false`: none).
    static func fslOfFsl(_ name: String, outer: Int = 3, inner dim: Int = 2, n: Int, nulls: Bool, rng: inout TestRNG) -> TestColumn {
        var items: [Float?] = [], innerValid: [Bool] = [], valid: [Bool] = [], expected: [Any] = []
        for _ in 0 ..< n {
            var row: [Any] = []
            for _ in 0 ..< outer {
                let sub: [Float?] = (0 ..< dim).map { _ in nulls && rng.chance(0.1) ? nil : Float(rng.int(-1000 ..< 1000)) / 8 }
                items += sub
                let ok = !(nulls && rng.chance(0.1))
                innerValid.append(ok)
                row.append(ok ? sub.map { $0.map { Int($0.bitPattern) as Any } ?? NSNull() } as Any : NSNull())
            }
            let ok = !(nulls && rng.chance(0.1))
            valid.append(ok)
            expected.append(ok ? row as Any : NSNull())
        }
        let inner = ArrayData.fixedSizeList(.primitive(.float32, items), size: dim, validity: innerValid)
        let data = ArrayData.fixedSizeList(inner, size: outer, validity: nulls ? valid : nil)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// fixed_size_list<float32, dim> with null items (and null rows).
    static func vectorsNullItems(_ name: String, dim: Int, n: Int, rng: inout TestRNG) -> TestColumn {
        var items: [Float?] = [], valid: [Bool] = [], expected: [Any] = []
        for _ in 0 ..< n {
            let row: [Float?] = (0 ..< dim).map { _ in rng.chance(0.05) ? nil : Float(rng.next() % 1_000_000) / 1_000_000 - 0.5 }
            items += row
            let ok = !rng.chance(0.15)
            valid.append(ok)
            expected.append(ok ? row.map { $0.map { Int($0.bitPattern) as Any } ?? NSNull() } as Any : NSNull())
        }
        let data = ArrayData.fixedSizeList(.primitive(.float32, items), size: dim, validity: valid)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// A dictionary column with null rows and unused dictionary entries.
    static func dictionary(_ name: String, index: DataType, values: ArrayData, canon: [Any], n: Int, rng: inout TestRNG) -> TestColumn {
        let w = index.byteWidth!
        var bytes = [UInt8](repeating: 0, count: n * w)
        var valid: [Bool] = [], expected: [Any] = []
        for i in 0 ..< n {
            let k = rng.int(0 ..< max(1, values.count - 1)) // the last entry stays unused
            withUnsafeBytes(of: UInt64(k).littleEndian) { for b in 0 ..< w { bytes[i * w + b] = $0[b] } }
            let ok = !rng.chance(0.15)
            valid.append(ok)
            expected.append(ok ? canon[k] : NSNull())
        }
        let type = DataType.dictionary(index: index, value: values.type)
        let data = ArrayData(type: type, count: n, validity: valid.allSatisfy { $0 } ? nil : Bitmap(valid),
                             buffers: [Buffer(bytes)], dictionary: values)
        return TestColumn(field: Field(name, type), data: data, expected: expected)
    }

    static func dictionaries(n: Int, rng: inout TestRNG) -> [TestColumn] {
        let words = ["alpha", "βeta", "日本", "", "emoji 🦀", "unused"]
        let ints: [Int64] = [10, -20, 1 << 40, 0, 7]
        // Dictionaries nested in a struct and in a list.
        let inner = dictionary("d", index: .int32, values: .strings(words), canon: words, n: n, rng: &rng)
        let ints32: [Int32?] = (0 ..< n).map { _ in rng.chance(0.1) ? nil : Int32(rng.int(-100 ..< 100)) }
        let st = ArrayData.structure([(inner.field, inner.data), (Field("i", .int32), .primitive(.int32, ints32))])
        let stExpected: [Any] = (0 ..< n).map { i in
            ["d": inner.expected[i], "i": ints32[i].map { Int($0) as Any } ?? NSNull()] as [String: Any]
        }
        let m = 2 * n
        let items = dictionary("item", index: .int16, values: .strings(words, large: true), canon: words, n: m, rng: &rng)
        var offsets: [Int64] = [0], listValid: [Bool] = [], listExpected: [Any] = []
        var at = 0
        for _ in 0 ..< n {
            let k = min(rng.int(0 ..< 4), m - at)
            let ok = !rng.chance(0.1)
            listValid.append(ok)
            listExpected.append(ok ? Array(items.expected[at ..< at + k]) as Any : NSNull())
            at += k
            offsets.append(Int64(at))
        }
        let list = ArrayData.list(items.data.slice(0, at), offsets: offsets, validity: listValid)
        return [
            TestColumn(field: Field("st_dict", st.type), data: st, expected: stExpected),
            TestColumn(field: Field("list_dict", list.type), data: list, expected: listExpected),
            dictionary("dict_str", index: .int32, values: .strings(words), canon: words, n: n, rng: &rng),
            dictionary("dict_lstr", index: .int16, values: .strings(words, large: true), canon: words, n: n, rng: &rng),
            dictionary("dict_i64", index: .int8, values: .primitive(.int64, values: ints), canon: ints.map { Int($0) }, n: n, rng: &rng),
            dictionary("dict_null_values", index: .int32, values: .strings(["x", nil, "z", nil, "w"]),
                       canon: ["x", NSNull(), "z", NSNull(), "w"], n: n, rng: &rng),
            dictionary("dict_f64", index: .uint16, values: .primitive(.float64, values: [1.5, -2.25, 1e300]),
                       canon: [1.5, -2.25, 1e300].map { Int(Int64(bitPattern: $0.bitPattern)) }, n: n, rng: &rng),
        ]
    }
}

@Suite struct WriterTypesTests {
    static func columns(n: Int, seed: UInt64) -> [TestColumn] {
        var rng = TestRNG(seed: seed)
        var cols = [
            TestData.fslNullItems("fsl_null_items", n: n, rng: &rng),
            TestData.fslBools("fsl_bool", n: n, rng: &rng),
            TestData.fslOfFsl("fsl_fsl", n: n, nulls: true, rng: &rng),
            TestData.fslOfFsl("fsl_fsl_dense", n: n, nulls: false, rng: &rng),
        ]
        cols += TestData.dictionaries(n: n, rng: &rng)
        return cols
    }

    /// Reads every column back with our reader and compares the rendered rows with what was written.
    static func roundTrip(_ path: String, columns: [TestColumn], rows n: Int) async throws {
        let url = URL(fileURLWithPath: path)
        let reader = try await LanceFileReader.open(LocalStore(root: url.deletingLastPathComponent().path).open(url.lastPathComponent))
        let schema = try reader.schema()
        let map = try reader.defaultColumnMap()
        var got: [ArrayData] = []
        for f in schema.fields { got.append(try await reader.read(f, columns: map, rows: 0 ..< n)) }
        let arrow = Schema(columns.map(\.field))
        let want = try RecordBatch(schema: arrow, columns: columns.map(\.data))
        let back = try RecordBatch(schema: arrow, columns: got)
        for (k, c) in columns.enumerated() {
            #expect(got[k].type == c.data.type, "\(c.field.name): read back as \(got[k].type)")
        }
        var bad = 0
        for i in 0 ..< n where try RowRenderer.row(want, i) != RowRenderer.row(back, i) {
            if bad == 0 { Issue.record("row \(i) differs:\n\(try RowRenderer.row(back, i))\nvs\n\(try RowRenderer.row(want, i))") }
            bad += 1
        }
        #expect(bad == 0, "\(bad) rows differ in \(path)")
    }

    @Test(arguments: [FileVersion.v2_0, .v2_1, .v2_2])
    func pylanceAndLanceletReadEveryType(version: FileVersion) async throws {
        let dir = try PylanceCheck.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var files: [(String, String)] = []
        let n = 300
        let cols = Self.columns(n: n, seed: 21)
        let (p1, e1, _) = try await WriterTests.write(cols, rows: n, version: version, dir: dir, name: "types")
        files.append((p1, e1))
        try await Self.roundTrip(p1, columns: cols, rows: n)
        // Wide vectors with null items (2.1+: full-zip values carrying an item bitmap).
        var rng = TestRNG(seed: 22)
        // Wide bool lists stay in mini-blocks, as pylance keeps them.
        let wide = [TestData.vectorsNullItems("vec300n", dim: 300, n: 40, rng: &rng),
                    TestData.fslBools("bool1001", dim: 1001, n: 40, rng: &rng),
                    TestData.fslOfFsl("fsl_fsl_wide", outer: 100, inner: 4, n: 40, nulls: true, rng: &rng),
                    TestData.fslOfFsl("fsl_fsl_wide_dense", outer: 100, inner: 4, n: 40, nulls: false, rng: &rng)]
        let (p2, e2, _) = try await WriterTests.write(wide, rows: 40, version: version, dir: dir, name: "wide")
        files.append((p2, e2))
        try await Self.roundTrip(p2, columns: wide, rows: 40)
        // Many rows in several batches and small pages: multi-chunk mini-blocks, dictionaries per page.
        let big = 5000
        let many = Self.columns(n: big, seed: 23)
        let (p3, e3, _) = try await WriterTests.write(many, rows: big, version: version, dir: dir, name: "paged",
                                                      batches: 7, pageSize: 16 * 1024)
        files.append((p3, e3))
        try await Self.roundTrip(p3, columns: many, rows: big)
        let (status, output) = try PylanceCheck.run(files)
        #expect(status == 0, "pylance check failed:\n\(output)")
    }

    /// Lists that are almost all empty or null put more levels around a chunk's few values than a
    /// mini-block chunk header counts (65,535): the writer splits such pages.
    @Test(arguments: [FileVersion.v2_1, .v2_2])
    func sparseListsSplitPages(version: FileVersion) async throws {
        let dir = try PylanceCheck.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 150_000
        var rng = TestRNG(seed: 31)
        var offsets: [Int64] = [0], items: [Int32?] = [], valid: [Bool] = [], expected: [Any] = []
        for i in 0 ..< n {
            if i % 97 == 5 {
                items += [Int32(i), nil]
                valid.append(true); expected.append([i, NSNull()])
            } else {
                let ok = rng.chance(0.5)
                valid.append(ok); expected.append(ok ? [Any]() : NSNull())
            }
            offsets.append(Int64(items.count))
        }
        let data = ArrayData.list(.primitive(.int32, items), offsets: offsets, validity: valid)
        let cols = [TestColumn(field: Field("sparse", data.type), data: data, expected: expected)]
        let (path, exp, _) = try await WriterTests.write(cols, rows: n, version: version, dir: dir, name: "sparse")
        try await Self.roundTrip(path, columns: cols, rows: n)
        let (status, output) = try PylanceCheck.run([(path, exp)])
        #expect(status == 0, "pylance check failed:\n\(output)")
    }

    /// Batches with different dictionaries are merged into one dictionary per page.
    @Test(arguments: [FileVersion.v2_0, .v2_1])
    func batchesWithDifferentDictionaries(version: FileVersion) async throws {
        let dir = try PylanceCheck.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let type = DataType.dictionary(index: .int8, value: .utf8)
        let arrow = Schema([Field("d", type)])
        let schema = LanceSchema(assigningIdsTo: arrow)
        let path = dir + "/d.lance"
        let writer = try LanceFileWriter(path: path, schema: schema, version: version)
        let a = ArrayData(type: type, count: 3, validity: Bitmap([true, false, true]), buffers: [Buffer([UInt8]([1, 0, 0]))],
                          dictionary: .strings(["x", "y"]))
        let b = ArrayData(type: type, count: 2, buffers: [Buffer([UInt8]([0, 2]))], dictionary: .strings(["p", "q", "r"]))
        try await writer.write(try RecordBatch(schema: arrow, columns: [a]))
        try await writer.write(try RecordBatch(schema: arrow, columns: [b]))
        _ = try await writer.finish()
        let col = TestColumn(field: Field("d", type), data: ArrayData.concat([a, b]), expected: ["y", NSNull(), "x", "p", "r"])
        try await Self.roundTrip(path, columns: [col], rows: 5)
        try PylanceCheck.writeExpected([col], rows: 5, version: version, to: dir + "/d.json")
        let (status, output) = try PylanceCheck.run([(path, dir + "/d.json")])
        #expect(status == 0, "pylance check failed:\n\(output)")
    }

    /// Dictionary indices outside the dictionary are input errors naming the column, in every version;
    /// batches whose different dictionaries together outgrow the index type are refused.
    @Test func badDictionariesAreErrors() async throws {
        let type = DataType.dictionary(index: .int8, value: .utf8)
        let arrow = Schema([Field("d", type)])
        let outOfRange = ArrayData(type: type, count: 2, buffers: [Buffer([UInt8]([0, 5]))], dictionary: .strings(["a", "b"]))
        let negative = ArrayData(type: type, count: 2, buffers: [Buffer([UInt8]([0, 0xFF]))], dictionary: .strings(["a", "b"]))
        for version in [FileVersion.v2_0, .v2_1, .v2_2] {
            for bad in [outOfRange, negative] {
                let writer = try LanceFileWriter(object: MemoryFileSink(), schema: LanceSchema(assigningIdsTo: arrow), version: version)
                try await writer.write(try RecordBatch(schema: arrow, columns: [bad]))
                await #expect(throws: LanceError.self, "\(version)") {
                    do { _ = try await writer.finish() } catch let e as LanceError {
                        #expect(e.code == .invalidInput && e.column == "d", "\(e)")
                        throw e
                    }
                }
            }
        }
        // Distinct values across batches beyond what int8 indices address (repeats are merged: 3 × 60
        // values over 60 distinct ones fit).
        let writer = try LanceFileWriter(object: MemoryFileSink(), schema: LanceSchema(assigningIdsTo: arrow), version: .v2_1)
        for k in 0 ..< 3 {
            let words = (0 ..< 60).map { "w\(k)-\($0)" }
            try await writer.write(try RecordBatch(schema: arrow, columns: [
                ArrayData(type: type, count: 1, buffers: [Buffer([UInt8]([1]))], dictionary: .strings(words))]))
        }
        await #expect(throws: LanceError.self) { _ = try await writer.finish() }
        let sink = MemoryFileSink()
        let ok = try LanceFileWriter(object: sink, schema: LanceSchema(assigningIdsTo: arrow), version: .v2_1)
        for k in 0 ..< 3 {
            let words = (0 ..< 60).map { "w-\(($0 + k) % 60)" }
            try await ok.write(try RecordBatch(schema: arrow, columns: [
                ArrayData(type: type, count: 2, buffers: [Buffer([UInt8]([1, 59]))], dictionary: .strings(words))]))
        }
        #expect(try await ok.finish().rows == 6)
    }

    /// What pylance 14 refuses, Lancelet refuses too, naming the column: null structs in 2.0, and
    /// fixed-size lists of strings (any version) or of structs (2.0, 2.1).
    @Test func refusesWhatPylanceRefuses() async throws {
        let st = ArrayData.structure([(Field("a", .int32), .primitive(.int32, [Int32(1), 2]))], validity: [true, false])
        let fslStr = ArrayData.fixedSizeList(.strings(["a", "b", "c", "d"]), size: 2)
        let fslStruct = ArrayData.fixedSizeList(.structure([(Field("x", .int32), .primitive(.int32, values: [Int32(1), 2, 3, 4]))]), size: 2)
        let cases: [(ArrayData, [FileVersion])] = [(st, [.v2_0]), (fslStr, [.v2_0, .v2_1, .v2_2]), (fslStruct, [.v2_0, .v2_1])]
        for (data, versions) in cases {
            for version in versions {
                let arrow = Schema([Field("c", data.type)])
                let writer = try LanceFileWriter(object: MemoryFileSink(), schema: LanceSchema(assigningIdsTo: arrow), version: version)
                try await writer.write(try RecordBatch(schema: arrow, columns: [data]))
                await #expect(throws: LanceError.self, "\(data.type) in \(version)") {
                    do { _ = try await writer.finish() } catch let e as LanceError {
                        #expect(e.code == .unsupported && e.column == "c", "\(e)")
                        throw e
                    }
                }
            }
        }
    }
}
