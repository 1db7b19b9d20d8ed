import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceTestSupport

/// Lance 2.0 files written by pylance (scripts/file-fixtures-v20/gen.py) and the values it wrote.
struct V20Expected: Decodable, Sendable {
    struct Case: Decodable, Sendable {
        var rows: Int
        var columns: [String: [String]]
    }
    var cases: [String: Case]

    init(from decoder: any Decoder) throws {
        cases = try decoder.singleValueContainer().decode([String: Case].self)
    }
}

struct V20FixtureSet: Sendable {
    let directory: String
    let expected: V20Expected

    static let shared = Task<V20FixtureSet, any Error> { try generate() }

    static func generate() throws -> V20FixtureSet {
        let dir = try TestEnvironment.temporaryDirectory("v20")
        _ = try Subprocess.python([TestEnvironment.path("scripts/file-fixtures-v20/gen.py"), dir.path])
        let json = try Data(contentsOf: dir.appendingPathComponent("expected.json"))
        return V20FixtureSet(directory: dir.path, expected: try JSONDecoder().decode(V20Expected.self, from: json))
    }

    func open(_ name: String) async throws -> LanceFileReader {
        try await LanceFileReader.open(LocalStore(root: directory).open(name + ".lance"))
    }
}

/// Renders values in the canonical text form gen.py uses.
enum V20Render {
    static let digits = Array("0123456789abcdef".utf8)

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// gen.py's vec_digest: sum((i + 1) * bits[i] * 2654435761) mod 2^64 over a float32 vector.
    static func digest(_ items: ArrayData) -> String {
        var h: UInt64 = 0
        for k in 0 ..< items.count {
            h = h &+ UInt64(items.value(k, as: UInt32.self)) &* (UInt64(k + 1) &* 2654435761)
        }
        let s = String(h, radix: 16)
        return "h" + String(repeating: "0", count: 16 - s.count) + s
    }

    static func value(_ a: ArrayData, _ i: Int) -> String {
        if a.isNull(i) { return "null" }
        switch a.type {
        case .bool: return a.boolValue(i) ? "true" : "false"
        case .int8: return String(a.value(i, as: Int8.self))
        case .int16: return String(a.value(i, as: Int16.self))
        case .int32, .date32: return String(a.value(i, as: Int32.self))
        case .int64, .timestamp, .date64: return String(a.value(i, as: Int64.self))
        case .float16: return "e" + hex(withUnsafeBytes(of: a.value(i, as: UInt16.self)) { Array($0) })
        case .decimal128: return String(a.value(i, as: Int128.self))
        case .uint8: return String(a.value(i, as: UInt8.self))
        case .uint16: return String(a.value(i, as: UInt16.self))
        case .uint32: return String(a.value(i, as: UInt32.self))
        case .uint64: return String(a.value(i, as: UInt64.self))
        case .float32: return "f" + hex(withUnsafeBytes(of: a.value(i, as: UInt32.self)) { Array($0) })
        case .float64: return "d" + hex(withUnsafeBytes(of: a.value(i, as: UInt64.self)) { Array($0) })
        case .utf8, .largeUtf8: return "s" + hex(a.bytes(i))
        case .binary, .largeBinary, .fixedSizeBinary: return "b" + hex(a.bytes(i))
        case .fixedSizeList(let f, let n) where f.type == .float32 && n >= 64:
            return digest(a.listValues(i))
        case .list, .largeList, .fixedSizeList:
            let items = a.listValues(i)
            return "[" + (0 ..< items.count).map { value(items, $0) }.joined(separator: ",") + "]"
        case .struct:
            return "{" + a.children.map { value($0, i) }.joined(separator: ",") + "}"
        case .dictionary(let index, _):
            let b = a.buffers[0]
            let k: Int
            switch index {
            case .int8: k = Int(b.load(Int8.self, at: i))
            case .int16: k = Int(b.load(Int16.self, at: i))
            case .int32: k = Int(b.load(Int32.self, at: i))
            case .int64: k = Int(b.load(Int64.self, at: i))
            case .uint8: k = Int(b.load(UInt8.self, at: i))
            case .uint16: k = Int(b.load(UInt16.self, at: i))
            case .uint32: k = Int(b.load(UInt32.self, at: i))
            default: k = Int(b.load(UInt64.self, at: i))
            }
            return value(a.dictionary!, k)
        default:
            return "?\(a.type)"
        }
    }

    static func column(_ a: ArrayData) -> [String] { (0 ..< a.count).map { value(a, $0) } }
}

/// A readable object that records the byte ranges read from it.
final class V20CountingObject: ReadableObject, @unchecked Sendable {
    let inner: any ReadableObject
    private let lock = NSLock()
    private var _reads: [Range<UInt64>] = []

    init(_ inner: any ReadableObject) { self.inner = inner }

    var path: String { inner.path }
    var size: UInt64 { inner.size }
    var reads: [Range<UInt64>] { lock.withLock { _reads } }
    var bytesRead: UInt64 { reads.reduce(0) { $0 + UInt64($1.count) } }
    func reset() { lock.withLock { _reads = [] } }

    func read(_ range: Range<UInt64>) async throws -> Buffer {
        lock.withLock { _reads.append(range) }
        return try await inner.read(range)
    }
}

/// An in-memory object whose bytes a test can damage.
struct BytesObject: ReadableObject {
    let path: String
    let bytes: [UInt8]
    var size: UInt64 { UInt64(bytes.count) }

    func read(_ range: Range<UInt64>) async throws -> Buffer {
        try checkedRange(range)
        return Buffer(bytes[Int(range.lowerBound) ..< Int(range.upperBound)])
    }
}
