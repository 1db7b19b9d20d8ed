import Foundation
import LanceArrow
import LanceCore
@testable import LanceFile
import LanceTestSupport

/// Deterministic pseudo-random numbers (SplitMix64).
typealias TestRNG = SplitMix64

/// A column the test writes plus the canonical values pylance must read back (see
/// scripts/file-writer-check/check.py for the canonical forms).
struct TestColumn {
    var field: Field
    var data: ArrayData
    var expected: [Any]
}

/// Builds columns of every supported type with nulls, unicode, empty values and nesting.
enum TestData {
    static func ints<T: FixedWidthInteger & BitwiseCopyable>(_ type: DataType, _: T.Type, n: Int, rng: inout TestRNG, nulls: Double = 0.15) -> TestColumn {
        var vals: [T?] = []
        for _ in 0 ..< n {
            vals.append(rng.chance(nulls) ? nil : T(truncatingIfNeeded: rng.next()))
        }
        let data = ArrayData.primitive(type, vals.map { $0.map { $0 } })
        return TestColumn(field: Field("c_\(type)", type), data: data,
                          expected: vals.map { $0.map { v -> Any in T.isSigned ? Int(Int64(truncatingIfNeeded: v)) : (T.bitWidth == 64 ? canonU64(UInt64(v)) : Int(v)) } ?? NSNull() })
    }

    static func canonU64(_ v: UInt64) -> Any {
        // JSON numbers above Int64.max are written as NSNumber(UInt64).
        NSNumber(value: v)
    }

    static func floats(n: Int, rng: inout TestRNG) -> [TestColumn] {
        var f: [Float?] = [], d: [Double?] = []
        for i in 0 ..< n {
            f.append(rng.chance(0.1) ? nil : Float(Int(rng.next() % 100_000)) / 7.0 - Float(i))
            d.append(rng.chance(0.1) ? nil : Double(bitPattern: rng.next() & 0x3FFF_FFFF_FFFF_FFFF))
        }
        return [
            TestColumn(field: Field("f32", .float32), data: .primitive(.float32, f),
                       expected: f.map { $0.map { Int($0.bitPattern) } ?? NSNull() }),
            TestColumn(field: Field("f64", .float64), data: .primitive(.float64, d),
                       expected: d.map { $0.map { Int(Int64(bitPattern: $0.bitPattern)) } ?? NSNull() }),
        ]
    }

    static func bools(n: Int, rng: inout TestRNG, nulls: Double = 0.2) -> TestColumn {
        let v: [Bool?] = (0 ..< n).map { _ in rng.chance(nulls) ? nil : rng.chance(0.5) }
        return TestColumn(field: Field("flag", .bool), data: .bools(v), expected: v.map { $0.map { $0 as Any } ?? NSNull() })
    }

    static let words = ["", "a", "héllo", "日本語テキスト", "emoji 🦀🐟", "plain ascii text", "Ünïcödé", "x"]

    static func strings(_ name: String, large: Bool, n: Int, rng: inout TestRNG) -> TestColumn {
        var v: [String?] = []
        for i in 0 ..< n {
            if rng.chance(0.12) { v.append(nil); continue }
            let w = words[rng.int(0 ..< words.count)]
            v.append(i % 5 == 0 ? w : "\(w)#\(rng.int(0 ..< 100_000))")
        }
        return TestColumn(field: Field(name, large ? .largeUtf8 : .utf8), data: .strings(v, large: large),
                          expected: v.map { $0.map { $0 as Any } ?? NSNull() })
    }

    static func binaries(_ name: String, type: DataType, n: Int, sizes: Range<Int>, rng: inout TestRNG, nulls: Double = 0.1) -> TestColumn {
        var v: [[UInt8]?] = []
        for i in 0 ..< n {
            if rng.chance(nulls) { v.append(nil); continue }
            v.append(i % 7 == 3 ? [] : rng.bytes(rng.int(sizes)))
        }
        return TestColumn(field: Field(name, type), data: .binaries(v, type: type),
                          expected: v.map { $0.map { Data($0).base64EncodedString() as Any } ?? NSNull() })
    }

    static func fixedBinary(n: Int, rng: inout TestRNG) -> TestColumn {
        var v: [[UInt8]?] = []
        var bytes: [UInt8] = []
        for _ in 0 ..< n {
            let b = rng.bytes(4)
            bytes += b
            v.append(rng.chance(0.1) ? nil : b)
        }
        let data = ArrayData(type: .fixedSizeBinary(4), count: n,
                             validity: v.contains { $0 == nil } ? Bitmap(v.map { $0 != nil }) : nil,
                             buffers: [Buffer(bytes)])
        return TestColumn(field: Field("fsb", .fixedSizeBinary(4)), data: data,
                          expected: v.map { $0.map { Data($0).base64EncodedString() as Any } ?? NSNull() })
    }

    static func dates(n: Int, rng: inout TestRNG) -> [TestColumn] {
        let d: [Int32?] = (0 ..< n).map { _ in rng.chance(0.1) ? nil : Int32(rng.int(-20_000 ..< 40_000)) }
        let t: [Int64?] = (0 ..< n).map { _ in rng.chance(0.1) ? nil : Int64(rng.int(0 ..< 2_000_000_000)) * 1_000_003 }
        let dec: [Int64?] = (0 ..< n).map { _ in rng.chance(0.1) ? nil : Int64(rng.int(-1_000_000 ..< 1_000_000)) }
        var decBytes: [UInt8] = []
        for x in dec {
            let v = x ?? 0
            withUnsafeBytes(of: v.littleEndian) { decBytes += $0 }
            decBytes += [UInt8](repeating: v < 0 ? 0xFF : 0, count: 8)
        }
        let decType = DataType.decimal128(precision: 10, scale: 2)
        let decData = ArrayData(type: decType, count: n, validity: Bitmap(dec.map { $0 != nil }), buffers: [Buffer(decBytes)])
        func decString(_ v: Int64) -> String {
            let a = abs(v)
            let frac = a % 100
            return (v < 0 ? "-" : "") + "\(a / 100)." + (frac < 10 ? "0" : "") + "\(frac)"
        }
        return [
            TestColumn(field: Field("day", .date32), data: .primitive(.date32, d), expected: d.map { $0.map { Int($0) as Any } ?? NSNull() }),
            TestColumn(field: Field("ts", .timestamp(.microsecond, timezone: "UTC")),
                       data: .primitive(.timestamp(.microsecond, timezone: "UTC"), t),
                       expected: t.map { $0.map { Int($0) as Any } ?? NSNull() }),
            TestColumn(field: Field("dec", decType), data: decData, expected: dec.map { $0.map { decString($0) as Any } ?? NSNull() }),
        ]
    }

    static func vectors(_ name: String, dim: Int, n: Int, nullable: Bool, rng: inout TestRNG) -> TestColumn {
        var items: [Float] = []
        var valid: [Bool] = []
        var expected: [Any] = []
        for _ in 0 ..< n {
            let v = (0 ..< dim).map { _ in Float(rng.next() % 1_000_000) / 1_000_000 - 0.5 }
            items += v
            let ok = !(nullable && rng.chance(0.2))
            valid.append(ok)
            expected.append(ok ? v.map { Int($0.bitPattern) } as Any : NSNull())
        }
        let data = ArrayData.fixedSizeList(.primitive(.float32, values: items), size: dim, validity: nullable ? valid : nil)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// list<int32> (or large_list) with null lists, empty lists and null items.
    static func intLists(_ name: String, large: Bool, n: Int, rng: inout TestRNG, nullLists: Bool = true) -> TestColumn {
        var offsets: [Int64] = [0]
        var items: [Int32?] = []
        var valid: [Bool] = []
        var expected: [Any] = []
        for _ in 0 ..< n {
            if nullLists && rng.chance(0.15) {
                valid.append(false); expected.append(NSNull())
                // Null lists sometimes cover items, which must not leak into neighbours.
                if rng.chance(0.5) { items.append(99) }
                offsets.append(Int64(items.count))
                continue
            }
            valid.append(true)
            let k = rng.chance(0.15) ? 0 : rng.int(1 ..< 5)
            var row: [Any] = []
            for _ in 0 ..< k {
                let v: Int32? = rng.chance(0.1) ? nil : Int32(truncatingIfNeeded: rng.next() % 2000) - 1000
                items.append(v)
                row.append(v.map { Int($0) as Any } ?? NSNull())
            }
            offsets.append(Int64(items.count))
            expected.append(row)
        }
        let data = ArrayData.list(.primitive(.int32, items), offsets: offsets, validity: valid, large: large)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    static func stringLists(_ name: String, n: Int, rng: inout TestRNG) -> TestColumn {
        var offsets: [Int64] = [0]
        var items: [String?] = []
        var valid: [Bool] = []
        var expected: [Any] = []
        for _ in 0 ..< n {
            if rng.chance(0.1) { valid.append(false); expected.append(NSNull()); offsets.append(Int64(items.count)); continue }
            valid.append(true)
            let k = rng.int(0 ..< 4)
            var row: [Any] = []
            for _ in 0 ..< k {
                let s: String? = rng.chance(0.1) ? nil : words[rng.int(0 ..< words.count)]
                items.append(s)
                row.append(s.map { $0 as Any } ?? NSNull())
            }
            offsets.append(Int64(items.count))
            expected.append(row)
        }
        let data = ArrayData.list(.strings(items, large: true), offsets: offsets, validity: valid, large: true)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// struct<a: int32, b: string>, optionally with null structs.
    static func structs(_ name: String, n: Int, structNulls: Bool, rng: inout TestRNG) -> TestColumn {
        var a: [Int32?] = [], b: [String?] = [], valid: [Bool] = []
        var expected: [Any] = []
        for _ in 0 ..< n {
            let av: Int32? = rng.chance(0.15) ? nil : Int32(truncatingIfNeeded: rng.next())
            let bv: String? = rng.chance(0.15) ? nil : words[rng.int(0 ..< words.count)]
            a.append(av); b.append(bv)
            let ok = !(structNulls && rng.chance(0.15))
            valid.append(ok)
            if ok {
                expected.append(["a": av.map { Int($0) as Any } ?? NSNull(), "b": bv.map { $0 as Any } ?? NSNull()] as [String: Any])
            } else {
                expected.append(NSNull())
            }
        }
        let data = ArrayData.structure([(Field("a", .int32), .primitive(.int32, a)), (Field("b", .utf8), .strings(b))],
                                       validity: structNulls ? valid : nil)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// list<struct<x: int64, y: string>> with null and empty lists and null structs.
    static func structLists(_ name: String, n: Int, rng: inout TestRNG) -> TestColumn {
        var offsets: [Int64] = [0]
        var x: [Int64?] = [], y: [String?] = [], sValid: [Bool] = [], lValid: [Bool] = []
        var expected: [Any] = []
        for _ in 0 ..< n {
            if rng.chance(0.1) { lValid.append(false); expected.append(NSNull()); offsets.append(Int64(x.count)); continue }
            lValid.append(true)
            var row: [Any] = []
            for _ in 0 ..< rng.int(0 ..< 4) {
                let xv: Int64? = rng.chance(0.1) ? nil : Int64(bitPattern: rng.next())
                let yv: String? = rng.chance(0.1) ? nil : words[rng.int(0 ..< words.count)]
                let ok = !rng.chance(0.1)
                x.append(xv); y.append(yv); sValid.append(ok)
                row.append(ok ? ["x": xv.map { Int($0) as Any } ?? NSNull(), "y": yv.map { $0 as Any } ?? NSNull()] as [String: Any] : NSNull())
            }
            offsets.append(Int64(x.count))
            expected.append(row)
        }
        let st = ArrayData.structure([(Field("x", .int64), .primitive(.int64, x)), (Field("y", .utf8), .strings(y))], validity: sValid)
        let data = ArrayData.list(st, offsets: offsets, validity: lValid)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }

    /// list<list<int32>>.
    static func nestedLists(_ name: String, n: Int, rng: inout TestRNG) -> TestColumn {
        var outer: [Int64] = [0], inner: [Int64] = [0]
        var items: [Int32?] = []
        var oValid: [Bool] = [], iValid: [Bool] = []
        var expected: [Any] = []
        for _ in 0 ..< n {
            if rng.chance(0.1) { oValid.append(false); expected.append(NSNull()); outer.append(Int64(iValid.count)); continue }
            oValid.append(true)
            var row: [Any] = []
            for _ in 0 ..< rng.int(0 ..< 3) {
                if rng.chance(0.15) { iValid.append(false); row.append(NSNull()); inner.append(Int64(items.count)); continue }
                iValid.append(true)
                var sub: [Any] = []
                for _ in 0 ..< rng.int(0 ..< 4) {
                    let v: Int32? = rng.chance(0.1) ? nil : Int32(rng.int(-50 ..< 50))
                    items.append(v)
                    sub.append(v.map { Int($0) as Any } ?? NSNull())
                }
                inner.append(Int64(items.count))
                row.append(sub)
            }
            outer.append(Int64(iValid.count))
            expected.append(row)
        }
        let innerList = ArrayData.list(.primitive(.int32, items), offsets: inner, validity: iValid)
        let data = ArrayData.list(innerList, offsets: outer, validity: oValid)
        return TestColumn(field: Field(name, data.type), data: data, expected: expected)
    }
}

/// Runs the pylance checker over written files.
enum PylanceCheck {
    /// Returns (exit status, combined output).
    static func run(_ pairs: [(file: String, expected: String)]) throws -> (Int32, String) {
        let o = try Subprocess.run(TestEnvironment.python, [TestEnvironment.path("scripts/file-writer-check/check.py")]
                                   + pairs.flatMap { [$0.file, $0.expected] })
        return (o.status, o.text + o.stderr)
    }

    /// Writes the expected-values JSON for `columns` next to `file`.
    static func writeExpected(_ columns: [TestColumn], rows: Int, version: FileVersion, to path: String) throws {
        var out = "{\"rows\": \(rows), \"version\": \"\(version)\", \"columns\": {"
        for (k, c) in columns.enumerated() {
            if k > 0 { out += ", " }
            json(c.field.name, into: &out)
            out += ": {\"type\": "
            json(c.field.type.description, into: &out)
            out += ", \"values\": "
            json(c.expected, into: &out)
            out += "}"
        }
        out += "}}"
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// A small JSON serializer for the canonical values (JSONSerialization is slow in debug builds).
    static func json(_ v: Any, into out: inout String) {
        let m = Mirror(reflecting: v)
        if m.displayStyle == .optional {
            if let c = m.children.first { json(c.value, into: &out) } else { out += "null" }
            return
        }
        switch v {
        case is NSNull: out += "null"
        case let b as Bool: out += b ? "true" : "false"
        case let i as Int: out += String(i)
        case let n as NSNumber: out += n.stringValue
        case let s as String:
            out += "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                default:
                    if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
                }
            }
            out += "\""
        case let a as [Any]:
            out += "["
            for (k, x) in a.enumerated() {
                if k > 0 { out += "," }
                json(x, into: &out)
            }
            out += "]"
        case let d as [String: Any]:
            out += "{"
            for (k, (key, x)) in d.sorted(by: { $0.key < $1.key }).enumerated() {
                if k > 0 { out += "," }
                json(key, into: &out)
                out += ":"
                json(x, into: &out)
            }
            out += "}"
        default: out += "\"\(v)\""
        }
    }

    static func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lancelet-writer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
