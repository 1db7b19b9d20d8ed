import Foundation
import LanceArrow
import LanceCore
import Testing
@testable import LanceCLI

/// The schema file format of `create --schema`, JSON lines conversion, and bad inputs.
@Suite struct ImportParsingTests {
    static let types: [DataType] = [
        .null, .bool, .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64, .float16, .float32, .float64,
        .utf8, .largeUtf8, .binary, .largeBinary, .fixedSizeBinary(16), .date32, .date64,
        .timestamp(.second, timezone: nil), .timestamp(.nanosecond, timezone: "UTC"),
        .timestamp(.millisecond, timezone: "America/New_York"), .decimal128(precision: 38, scale: 10),
        .list(Field("item", .int32)), .largeList(Field("item", .utf8)), .fixedSizeList(Field("item", .float32), 768),
        .struct([Field("a", .int64), Field("b", .struct([Field("c", .float64), Field("d", .list(Field("item", .int32)))]))]),
        .list(Field("item", .struct([Field("x", .int32), Field("y", .utf8)]))),
        .dictionary(index: .int32, value: .utf8),
    ]

    @Test func everyTypeSpellingParsesBack() throws {
        for t in Self.types {
            #expect(try JSONLImport.parseType(t.description) == t, "\(t)")
        }
        #expect(try JSONLImport.parseType("fixed_size_list<item: float not null>[4]")
            == .fixedSizeList(Field("item", .float32, nullable: false), 4))
        #expect(try JSONLImport.parseType("float64") == .float64)
        for bad in ["", "int", "list<int32>", "struct<a: int64", "timestamp[xs]", "fixed_size_binary[x]", "int64 extra"] {
            #expect(throws: LanceError.self, "\(bad)") { try JSONLImport.parseType(bad) }
        }
    }

    @Test func schemaFileFormsAndValueErrors() throws {
        let a = try JSONLImport.parseSchemaFile(Array(#"[{"name": "x", "type": "int32", "nullable": false}]"#.utf8))
        let b = try JSONLImport.parseSchemaFile(Array(#"{"schema": [{"name": "x", "type": "int32", "nullable": false}]}"#.utf8))
        #expect(a == b)
        #expect(a.fields == [Field("x", .int32, nullable: false)])
        #expect(throws: LanceError.self) { try JSONLImport.parseSchemaFile(Array(#"{"x": 1}"#.utf8)) }
        let schema = Schema([Field("i", .int8), Field("v", .fixedSizeList(Field("item", .float32), 2)), Field("b", .binary)])
        let ok = try JSONLImport.batch([try JSONValue.parse(#"{"i": -3, "v": [1, "NaN"], "b": "AAE="}"#)], schema: schema, firstLine: 1)
        #expect(try ok.columns[0].jsonValue(at: 0) == .int(-3))
        #expect(try ok.columns[2].jsonValue(at: 0) == .string("AAE="))
        for bad in [#"{"i": 300}"#, #"{"v": [1]}"#, #"{"b": "%%%"}"#, #"{"i": "x"}"#] {
            #expect(throws: LanceError.self, "\(bad)") {
                _ = try JSONLImport.batch([try JSONValue.parse(bad)], schema: schema, firstLine: 1)
            }
        }
    }

    /// Lines of very different lengths (up to several times the 1 MiB read size), blank lines, CRLF
    /// endings and a last line without a newline: every row comes back once, in order, with its value.
    @Test func jsonLinesAcrossReadChunks() throws {
        let dir = try CLI.tempDir("jsonl-chunks")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var rng = SplitMix64(seed: 7)
        var text: [UInt8] = []
        var expected: [String] = []
        for i in 0 ..< 3_000 {
            let long = rng.int(0 ..< 100) == 0
            let n = long ? rng.int(200_000 ..< 2_600_000) : rng.int(0 ..< 300)
            let value = String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: n)
            expected.append(value)
            text += Array(#"{"i": \#(i), "s": "\#(value)"}"#.utf8)
            if i < 2_999 { text += Array((rng.int(0 ..< 5) == 0 ? "\r\n" : rng.int(0 ..< 7) == 0 ? "\n  \n" : "\n").utf8) }
        }
        let path = dir + "/rows.jsonl"
        try Data(text).write(to: URL(fileURLWithPath: path))
        var reader = JSONLReader(input: try InputFile(path: path), batchRows: 256)
        var got: [JSONValue] = []
        while true {
            let (rows, _) = try reader.readRows()
            if rows.isEmpty { break }
            got += rows
        }
        #expect(got.count == expected.count)
        for (i, row) in got.enumerated() where i < expected.count {
            #expect(row["i"] == .int(Int64(i)) && row["s"] == .string(expected[i]), "row \(i)")
        }
    }

    @Test func decimalsImportExactly() throws {
        let schema = Schema([Field("d", .decimal128(precision: 10, scale: 2)), Field("w", .decimal128(precision: 38, scale: 10))])
        let rows = [#"{"d": "-0.05", "w": "-9999999999999999999999999999.9999999999"}"#, #"{"d": 12, "w": "1e-10"}"#,
                    #"{"d": 99999999.99, "w": null}"#, #"{"d": "+1.5E2", "w": "0.0000000001"}"#]
        let b = try JSONLImport.batch(try rows.map { try JSONValue.parse($0) }, schema: schema, firstLine: 1)
        #expect(try b.columns[0].jsonValue(at: 0) == .string("-0.05"))
        #expect(try b.columns[0].jsonValue(at: 1) == .string("12.00"))
        #expect(try b.columns[0].jsonValue(at: 2) == .string("99999999.99"))
        #expect(try b.columns[0].jsonValue(at: 3) == .string("150.00"))
        #expect(try b.columns[1].jsonValue(at: 0) == .string("-9999999999999999999999999999.9999999999"))
        #expect(try b.columns[1].jsonValue(at: 1) == .string("0.0000000001"))
        #expect(b.columns[1].isNull(2))
        for bad in [#"{"d": "1.234"}"#, #"{"d": "123456789"}"#, #"{"d": "1.2.3"}"#, #"{"d": "abc"}"#, #"{"d": true}"#, #"{"d": "-"}"#] {
            #expect(throws: LanceError.self, "\(bad)") {
                _ = try JSONLImport.batch([try JSONValue.parse(bad)], schema: Schema([schema.fields[0]]), firstLine: 1)
            }
        }
    }

    @Test func damagedInputsFailCleanly() throws {
        let dir = try CLI.tempDir("bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = try CLI.executable()
        var rng = SplitMix64(seed: 42)
        let schema = Schema([Field("i", .int64), Field("s", .utf8)])
        let batch = try RecordBatch(schema: schema, columns: [.primitive(.int64, values: (0 ..< 50).map(Int64.init)),
                                                             .strings((0 ..< 50).map { "v\($0)" })])
        let good = try ArrowIPCWriter.file(schema: schema, batches: [batch])
        var inputs: [[UInt8]] = [Array("not arrow at all".utf8), Array(good.prefix(good.count / 2))]
        for _ in 0 ..< 6 {
            var b = good
            for _ in 0 ..< 4 { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            inputs.append(b)
        }
        for (k, bytes) in inputs.enumerated() {
            let path = "\(dir)/in\(k).arrow"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let o = try CLI.run(exe, ["create", "\(dir)/ds\(k)", "--from", path])
            #expect(o.status == 0 || o.status == 1, "input \(k): exit \(o.status) \(o.stderr)")
            if o.status == 1 {
                #expect(o.stderr.hasPrefix("error: "))
                // Nothing half-written is visible.
                #expect(!FileManager.default.fileExists(atPath: "\(dir)/ds\(k)/_versions"), "input \(k)")
            }
        }
    }
}
