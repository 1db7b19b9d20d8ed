import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceTestSupport

/// Files written by pylance for the 2.1/2.2 decoder tests (generated once per test run).
enum V21Fixtures {
    static var python: String { TestEnvironment.python }

    /// Runs the generator script once per script version (the output is reused by later runs); returns
    /// the output directory.
    static let directory: Result<String, V21FixtureError> = {
        let script = TestEnvironment.path("scripts/file-fixtures/v21_cases.py")
        guard let source = FileManager.default.contents(atPath: script) else {
            return .failure(V21FixtureError(message: "missing \(script)"))
        }
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in source + Array(python.utf8) { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        let tmp = FileManager.default.temporaryDirectory.path
        let dir = tmp + "/lancelet-v21-" + String(h, radix: 16)
        if FileManager.default.fileExists(atPath: dir + "/.complete") { return .success(dir) }
        let work = dir + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try? FileManager.default.removeItem(atPath: work)
        do { try Subprocess.python([script, work]) } catch {
            return .failure(V21FixtureError(message: "generator failed: \(error)"))
        }
        _ = FileManager.default.createFile(atPath: work + "/.complete", contents: Data())
        if (try? FileManager.default.moveItem(atPath: work, toPath: dir)) == nil {
            try? FileManager.default.removeItem(atPath: work)   // another process finished first
        }
        return .success(dir)
    }()

    /// Expected rendered rows per top-level field.
    static func expected(_ name: String) throws -> [String: [String]] {
        let dir = try directory.get()
        let text = try String(contentsOfFile: dir + "/" + name + ".txt", encoding: .utf8)
        var out: [String: [String]] = [:]
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("#") { current = String(line.dropFirst()); out[current] = [] } else { out[current]!.append(String(line)) }
        }
        return out
    }

    static func open(_ name: String) async throws -> LanceFileReader {
        let dir = try directory.get()
        return try await LanceFileReader.open(LocalStore(root: dir).open(name + ".lance"))
    }
}

struct V21FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Renders one value the way the generator does (see scripts/file-fixtures/v21_cases.py).
func v21Render(_ a: ArrayData, _ i: Int) -> String {
    if a.isNull(i) { return "null" }
    func hex<C: Collection>(_ b: C) -> String where C.Element == UInt8 {
        var out = [UInt8](); out.reserveCapacity(b.count * 2)
        for x in b { out.append(v21HexDigits[Int(x >> 4)]); out.append(v21HexDigits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
    func leHex<T: FixedWidthInteger>(_ v: T) -> String { hex(withUnsafeBytes(of: v.littleEndian) { Array($0) }) }
    switch a.type {
    case .bool: return a.boolValue(i) ? "true" : "false"
    case .int8: return String(a.value(i, as: Int8.self))
    case .int16: return String(a.value(i, as: Int16.self))
    case .int32, .date32: return String(a.value(i, as: Int32.self))
    case .int64: return String(a.value(i, as: Int64.self))
    case .uint8: return String(a.value(i, as: UInt8.self))
    case .uint16: return String(a.value(i, as: UInt16.self))
    case .uint32: return String(a.value(i, as: UInt32.self))
    case .uint64: return String(a.value(i, as: UInt64.self))
    case .float32: return "\"f:" + leHex(a.value(i, as: UInt32.self)) + "\""
    case .float64: return "\"d:" + leHex(a.value(i, as: UInt64.self)) + "\""
    case .utf8, .largeUtf8: return "\"s:" + hex(a.bytes(i)) + "\""
    case .binary, .largeBinary: return "\"b:" + hex(a.bytes(i)) + "\""
    case .list, .largeList, .fixedSizeList:
        let c = a.listValues(i)
        return "[" + (0 ..< c.count).map { v21Render(c, $0) }.joined(separator: ",") + "]"
    case .struct:
        return "[" + a.children.map { v21Render($0, i) }.joined(separator: ",") + "]"
    case .dictionary(let index, _):
        let k: Int
        switch index.byteWidth {
        case 1: k = Int(a.buffers[0].load(UInt8.self, at: i))
        case 2: k = Int(a.buffers[0].load(UInt16.self, at: i))
        case 4: k = Int(a.buffers[0].load(UInt32.self, at: i))
        default: k = Int(a.buffers[0].load(UInt64.self, at: i))
        }
        return v21Render(a.dictionary!, k)
    default:
        return "?\(a.type)"
    }
}

private let v21HexDigits = Array("0123456789abcdef".utf8)

/// Counts the bytes read through an object.
final class V21CountingObject: ReadableObject, @unchecked Sendable {
    let inner: any ReadableObject
    private let lock = NSLock()
    private var total = 0
    init(_ inner: any ReadableObject) { self.inner = inner }
    var path: String { inner.path }
    var size: UInt64 { inner.size }
    var bytesRead: Int { lock.withLock { total } }
    func read(_ range: Range<UInt64>) async throws -> Buffer {
        lock.withLock { total += range.count }
        return try await inner.read(range)
    }
}
