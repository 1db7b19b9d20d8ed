import Foundation

/// A minimal reader for NumPy `.npy` files (format 1.0–3.0, little-endian `<f4`, `<f8`, `<i8`, C order).
public struct NpyArray: Sendable {
    public var shape: [Int]
    public var descr: String
    public var payload: Data

    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let b = [UInt8](data.prefix(12))
        guard b.count >= 10, b[0] == 0x93, Array(b[1 ..< 6]) == Array("NUMPY".utf8) else {
            throw BenchError("\(path) is not a .npy file")
        }
        let major = b[6]
        let headerLen: Int, start: Int
        if major == 1 {
            headerLen = Int(b[8]) | Int(b[9]) << 8
            start = 10
        } else {
            guard b.count >= 12 else { throw BenchError("\(path): short header") }
            headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24
            start = 12
        }
        guard data.count >= start + headerLen else { throw BenchError("\(path): truncated header") }
        let header = String(decoding: data[start ..< start + headerLen], as: UTF8.self)
        func field(_ key: String) -> String? {
            guard let r = header.range(of: "'\(key)':") else { return nil }
            return String(header[r.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        guard let d = field("descr"), let q1 = d.firstIndex(of: "'"),
              let q2 = d[d.index(after: q1)...].firstIndex(of: "'") else { throw BenchError("\(path): no descr") }
        descr = String(d[d.index(after: q1) ..< q2])
        guard field("fortran_order")?.hasPrefix("False") ?? false else { throw BenchError("\(path): Fortran order") }
        guard let s = field("shape"), let open = s.firstIndex(of: "("), let close = s.firstIndex(of: ")") else {
            throw BenchError("\(path): no shape")
        }
        shape = s[s.index(after: open) ..< close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        payload = data.subdata(in: (start + headerLen) ..< data.count)
        let width: Int
        switch descr {
        case "<f4": width = 4
        case "<f8", "<i8": width = 8
        default: throw BenchError("\(path): unsupported dtype \(descr)")
        }
        guard payload.count >= shape.reduce(1, *) * width else { throw BenchError("\(path): truncated data") }
    }

    public var count: Int { shape.reduce(1, *) }

    public func floats() -> [Float] {
        payload.withUnsafeBytes { raw in
            switch descr {
            case "<f4": return (0 ..< count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
            case "<f8": return (0 ..< count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
            default: return (0 ..< count).map { Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            }
        }
    }

    public func int64s() -> [Int64] {
        payload.withUnsafeBytes { raw in
            (0 ..< count).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self) }
        }
    }
}
