import LanceArrow
import LanceCore
import Testing

@Suite struct JSONRowRendererTests {
    func values(_ a: ArrayData) throws -> [JSONValue] { try (0 ..< a.count).map { try a.jsonValue(at: $0) } }

    @Test func integersOfAllWidths() throws {
        #expect(try values(.primitive(.int8, [Int8.min, nil, Int8.max])) == [.int(-128), .null, .int(127)])
        #expect(try values(.primitive(.int16, [Int16.min, Int16.max] as [Int16?])) == [.int(-32768), .int(32767)])
        #expect(try values(.primitive(.int32, [Int32.min] as [Int32?])) == [.int(-2_147_483_648)])
        #expect(try values(.primitive(.int64, [Int64.min, Int64.max] as [Int64?])) == [.int(.min), .int(.max)])
        #expect(try values(.primitive(.uint8, [UInt8.max] as [UInt8?])) == [.int(255)])
        #expect(try values(.primitive(.uint16, [UInt16.max] as [UInt16?])) == [.int(65535)])
        #expect(try values(.primitive(.uint32, [UInt32.max] as [UInt32?])) == [.int(4_294_967_295)])
        let u = try values(.primitive(.uint64, [UInt64.max, 5, nil]))
        #expect(u == [.uint(.max), .int(5), .null])
        #expect(u[0].serialized() == "18446744073709551615")
    }

    @Test func floatsWidenToDouble() throws {
        let f = try values(.primitive(.float32, [Float(0.1), .nan, -.infinity, -0.0, .greatestFiniteMagnitude, nil]))
        #expect(JSONValue.array(f).serialized() ==
            #"[0.10000000149011612,"NaN","-Infinity",-0.0,3.4028234663852886e+38,null]"#)
        let d = try values(.primitive(.float64, [1.0, 1e16, 5e-324] as [Double?]))
        #expect(JSONValue.array(d).serialized() == "[1.0,1e+16,5e-324]")
        // float16 bit patterns: 1.5, -2, 65504 (max), 2^-24 (smallest subnormal), +inf, NaN, -0
        let bits: [UInt16] = [0x3E00, 0xC000, 0x7BFF, 0x0001, 0x7C00, 0x7E00, 0x8000]
        let h = try values(ArrayData(type: .float16, count: bits.count, buffers: [Buffer(values: bits)]))
        #expect(h == [.double(1.5), .double(-2), .double(65504), .double(0x1p-24), .double(.infinity), .double(.nan), .double(-0.0)])
        #expect(h[6].serialized() == "-0.0")
    }

    @Test func boolsWithOffset() throws {
        let b = ArrayData.bools([true, false, nil, true, true, false, false, true, true, false])
        #expect(try values(b) == [true, false, nil, true, true, false, false, true, true, false])
        #expect(try values(b.slice(7, 3)) == [true, true, false])
    }

    @Test func stringsAndBinaryAsBase64() throws {
        #expect(try values(.strings(["", "日本", nil, "a\"b"])) == ["", "日本", nil, "a\"b"])
        #expect(try values(.strings(["x", nil], large: true)) == ["x", nil])
        #expect(try values(.binaries([[], [0xFF, 0, 1], nil, Array("foobar".utf8)])) == ["", "/wAB", nil, "Zm9vYmFy"])
        #expect(try values(.binaries([[1, 2, 3]], type: .largeBinary)) == ["AQID"])
        let fsb = ArrayData(type: .fixedSizeBinary(2), count: 3, validity: Bitmap([true, false, true]),
                            buffers: [Buffer([0x66, 0x6F, 0, 0, 0x6F, 0x6F] as [UInt8])])
        #expect(try values(fsb) == ["Zm8=", nil, "b28="])
    }

    @Test func datesTimestampsDecimals() throws {
        #expect(try values(.primitive(.date32, [-1, 19000, nil] as [Int32?])) == [-1, 19000, nil])
        #expect(try values(.primitive(.date64, [86_400_000] as [Int64?])) == [86_400_000])
        for unit in TimeUnit.allCases {
            let t = ArrayData.primitive(.timestamp(unit, timezone: unit == .second ? nil : "UTC"), [Int64.min, 0, nil])
            #expect(try values(t) == [.int(.min), 0, nil])
        }
        // decimal128(10, 2): 12345 -> "123.45", -5 -> "-0.05", 0 -> "0.00"; scale 0: -(2^64) exact
        let words: [Int64] = [12345, 0, -5, -1, 0, 0]
        let dec = ArrayData(type: .decimal128(precision: 10, scale: 2), count: 3, buffers: [Buffer(values: words)])
        #expect(try values(dec) == ["123.45", "-0.05", "0.00"])
        let big = ArrayData(type: .decimal128(precision: 38, scale: 0), count: 2,
                            buffers: [Buffer(values: [Int64(0), -1, -1, Int64.max])])
        #expect(try values(big) == ["-18446744073709551616", "170141183460469231731687303715884105727"])
    }

    @Test func nestedListsStructsAndDictionaries() throws {
        let items = ArrayData.primitive(.int32, [1, nil, 3, 4, 5, 6] as [Int32?])
        let list = ArrayData.list(items, offsets: [0, 2, 2, 2, 6], validity: [true, true, false, true])
        #expect(try values(list) == [[1, nil], [], nil, [3, 4, 5, 6]])
        #expect(try values(list.slice(3, 1)) == [[3, 4, 5, 6]])
        let large = ArrayData.list(.strings(["a", "", "ü"]), offsets: [0, 3], large: true)
        #expect(try values(large) == [["a", "", "ü"]])
        let fsl = ArrayData.fixedSizeList(items, size: 2, validity: [true, false, true])
        #expect(try values(fsl) == [[1, nil], nil, [5, 6]])

        let inner = ArrayData.structure([(Field("c", .float64), .primitive(.float64, [1.5, nil])),
                                         (Field("d", .utf8), .strings(["x", "y"]))], validity: [true, false])
        let outer = ArrayData.structure([(Field("a", .int64), .primitive(.int64, [7, 8] as [Int64?])),
                                         (Field("inner", inner.type), inner)], validity: [true, true])
        let rows = try values(outer)
        #expect(rows == [["a": 7, "inner": ["c": 1.5, "d": "x"]], ["a": 8, "inner": nil]])
        #expect(rows[0].objectValue?.keys == ["a", "inner"])

        let dict = ArrayData(type: .dictionary(index: .int32, value: .utf8), count: 4,
                             validity: Bitmap([true, true, false, true]),
                             buffers: [Buffer(values: [Int32(1), 0, 99, 1])], dictionary: .strings(["red", "日本"]))
        #expect(try values(dict) == ["日本", "red", nil, "日本"])
        let listOfStruct = ArrayData.list(outer, offsets: [0, 2])
        #expect(try values(listOfStruct)[0][1]?["inner"] == .null)
    }

    @Test func malformedArraysThrowInsteadOfTrapping() {
        let badDict = ArrayData(type: .dictionary(index: .int8, value: .utf8), count: 1,
                                buffers: [Buffer([5] as [UInt8])], dictionary: .strings(["a"]))
        #expect(throws: LanceError.self) { try badDict.jsonValue(at: 0) }
        let shortBuffer = ArrayData(type: .int64, count: 2, buffers: [Buffer(zeroed: 8)])
        #expect(throws: LanceError.self) { try shortBuffer.jsonValue(at: 1) }
        let badOffsets = ArrayData(type: .utf8, count: 1, buffers: [Buffer(values: [Int32(0), 50]), Buffer(zeroed: 4)])
        #expect(throws: LanceError.self) { try badOffsets.jsonValue(at: 0) }
        let backwards = ArrayData(type: .binary, count: 1, buffers: [Buffer(values: [Int32(3), 1]), Buffer(zeroed: 4)])
        #expect(throws: LanceError.self) { try backwards.jsonValue(at: 0) }
        let listPastItems = ArrayData(type: .list(Field("item", .int32)), count: 1,
                                      buffers: [Buffer(values: [Int32(0), 9])],
                                      children: [.primitive(.int32, values: [Int32(1)])])
        #expect(throws: LanceError.self) { try listPastItems.jsonValue(at: 0) }
        #expect(throws: LanceError.self) { try ArrayData.strings(["a"]).jsonValue(at: 1) }
    }

    @Test func recordBatchRowsAsJSONLines() throws {
        let schema = Schema([Field("id", .int64), Field("name", .utf8), Field("_rowaddr", .uint64)])
        let batch = try RecordBatch(schema: schema, columns: [
            .primitive(.int64, [1, nil] as [Int64?]), .strings(["a", "é"]),
            .primitive(.uint64, values: [UInt64(0), UInt64(1) << 32 | 7]),
        ])
        #expect(try batch.jsonLines() == "{\"id\":1,\"name\":\"a\",\"_rowaddr\":0}\n{\"id\":null,\"name\":\"é\",\"_rowaddr\":4294967303}\n")
        let plain = try RecordBatch(schema: Schema([Field("x", .float32)]), columns: [.primitive(.float32, values: [Float(2)])])
        var out: [UInt8] = []
        try RowRenderer.jsonLines(plain, rowAddresses: [5], rowIDs: [6], into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "{\"x\":2.0,\"_rowaddr\":5,\"_rowid\":6}\n")
        #expect(throws: LanceError.self) { try RowRenderer.jsonLines(plain, rowAddresses: [], into: &out) }
        let row = try RowRenderer.row(plain, 0, rowID: UInt64.max)
        #expect(row.serialized() == "{\"x\":2.0,\"_rowid\":18446744073709551615}")
    }
}
