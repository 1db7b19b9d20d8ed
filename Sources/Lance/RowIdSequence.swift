import Foundation
import LanceCore
import LanceProto

/// Decoding of `lance.table.RowIdSequence` (the stable row ids of a fragment's rows).
enum RowIdSequence {
    /// Expands a serialized sequence into its values, refusing sequences longer than `limit`.
    static func decode(_ bytes: [UInt8], path: String, limit: Int) throws -> [UInt64] {
        let seq: Lance_Table_RowIdSequence
        do { seq = try Lance_Table_RowIdSequence(serializedBytes: bytes) } catch {
            throw LanceError.corrupt("row id sequence is not a valid RowIdSequence protobuf: \(error)", path: path)
        }
        var out: [UInt64] = []
        func room(_ n: UInt64) throws {
            guard n <= UInt64(limit - out.count) else {
                throw LanceError.corrupt("row id sequence holds more than the fragment's \(limit) rows", path: path)
            }
        }
        func range(_ start: UInt64, _ end: UInt64) throws -> Range<UInt64> {
            guard start <= end else { throw LanceError.corrupt("row id range \(start)..<\(end) is reversed", path: path) }
            // Ranges (even with holes or a bitmap) are only chosen when they are not much wider than their values.
            guard end - start <= UInt64(limit) * 64 + 64 else {
                throw LanceError.corrupt("row id range \(start)..<\(end) is wider than the fragment allows", path: path)
            }
            return start ..< end
        }
        for segment in seq.segments {
            switch segment.segment {
            case nil:
                throw LanceError.corrupt("row id sequence has an empty segment", path: path)
            case .range(let r)?:
                let rr = try range(r.start, r.end)
                try room(UInt64(rr.count))
                out.append(contentsOf: rr)
            case .rangeWithHoles(let r)?:
                let rr = try range(r.start, r.end)
                let holes = Set(try array(r.holes, path: path, limit: limit))
                var n: UInt64 = 0
                for h in holes where rr.contains(h) { n += 1 }
                try room(UInt64(rr.count) - n)
                for v in rr where !holes.contains(v) { out.append(v) }
            case .rangeWithBitmap(let r)?:
                let rr = try range(r.start, r.end)
                guard UInt64(r.bitmap.count) * 8 >= UInt64(rr.count) else {
                    throw LanceError.corrupt("row id bitmap has \(r.bitmap.count) bytes for \(rr.count) values", path: path)
                }
                let bits = [UInt8](r.bitmap)
                var n: UInt64 = 0
                for i in 0 ..< Int(rr.count) where bits[i >> 3] & (1 << UInt8(i & 7)) != 0 { n += 1 }
                try room(n)
                for i in 0 ..< Int(rr.count) where bits[i >> 3] & (1 << UInt8(i & 7)) != 0 { out.append(rr.lowerBound + UInt64(i)) }
            case .sortedArray(let a)?, .array(let a)?:
                let values = try array(a, path: path, limit: limit - out.count)
                out.append(contentsOf: values)
            }
        }
        return out
    }

    /// Decodes an `EncodedU64Array`.
    static func array(_ a: Lance_Table_EncodedU64Array, path: String, limit: Int) throws -> [UInt64] {
        func unpack<T: FixedWidthInteger>(_ data: Data, _: T.Type, base: UInt64) throws -> [UInt64] {
            let w = MemoryLayout<T>.size
            guard data.count % w == 0 else {
                throw LanceError.corrupt("encoded row id array of \(data.count) bytes is not a multiple of \(w)", path: path)
            }
            guard data.count / w <= limit else {
                throw LanceError.corrupt("encoded row id array holds more values than the fragment has rows", path: path)
            }
            return data.withUnsafeBytes { raw in
                (0 ..< data.count / w).map { i in base &+ UInt64(T(littleEndian: raw.loadUnaligned(fromByteOffset: i * w, as: T.self))) }
            }
        }
        switch a.array {
        case nil: return []
        case .u16Array(let x)?: return try unpack(x.offsets, UInt16.self, base: x.base)
        case .u32Array(let x)?: return try unpack(x.offsets, UInt32.self, base: x.base)
        case .u64Array(let x)?: return try unpack(x.values, UInt64.self, base: 0)
        }
    }
}
