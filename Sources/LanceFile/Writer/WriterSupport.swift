import Foundation
import LanceArrow
import LanceCore
import LanceProto
import SwiftProtobuf

/// One page produced by an encoder, before it is placed in the file.
struct EncodedPage {
    var column: Int
    var buffers: [[UInt8]]
    var encoding: Lance_File_V2_Encoding
    /// Rows (2.1+: top-level rows; 2.0: values of this column) in the page.
    var length: UInt64
    /// The column must be stored as a single page spanning all rows (2.0 struct columns); the
    /// writer accumulates the length and emits the page at the end.
    var singlePage = false
}

/// Little-endian byte assembly.
struct ByteSink {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ b: Buffer) { b.withUnsafeBytes { bytes.append(contentsOf: $0) } }

    mutating func append(contentsOf other: [UInt8]) { bytes.append(contentsOf: other) }

    mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    /// Pads with `fill` to a multiple of `alignment`.
    mutating func pad(to alignment: Int, fill: UInt8) {
        let r = bytes.count % alignment
        if r != 0 { bytes.append(contentsOf: repeatElement(fill, count: alignment - r)) }
    }
}

enum WriterUtil {
    /// Wraps a message in an `Encoding.direct` holding a `google.protobuf.Any` with the type URL
    /// pylance writes (`/` + full message name, no host).
    static func direct<M: SwiftProtobuf.Message>(_ message: M) throws -> Lance_File_V2_Encoding {
        var any = Google_Protobuf_Any()
        any.typeURL = "/" + M.protoMessageName
        any.value = try message.serializedData()
        var d = Lance_File_V2_DirectEncoding()
        d.encoding = try any.serializedData()
        var e = Lance_File_V2_Encoding()
        e.location = .direct(d)
        return e
    }

    /// Bits `[0, count)` of a bool array's values as a fresh LSB-first bitmap of `(count + 7) / 8` bytes.
    static func boolBits(_ a: ArrayData) -> [UInt8] {
        bitmapBytes(Bitmap(buffer: a.buffers[0], offset: a.boolOffset, count: a.count))
    }

    /// A bitmap's bits as fresh bytes starting at bit 0.
    static func bitmapBytes(_ b: Bitmap) -> [UInt8] {
        let n = (b.count + 7) / 8
        if b.offset == 0 { return Array(b.buffer.slice(0, n).bytes) }
        var out = [UInt8](repeating: 0, count: n)
        for i in 0 ..< b.count where b[i] { out[i >> 3] |= UInt8(1 << (i & 7)) }
        return out
    }

    /// The validity of `a` as bytes (all ones when `a` has no validity bitmap).
    static func validityBytes(_ a: ArrayData) -> [UInt8] {
        if let v = a.validity { return bitmapBytes(v) }
        var out = [UInt8](repeating: 0xFF, count: (a.count + 7) / 8)
        if a.count % 8 != 0 { out[out.count - 1] = UInt8((1 << (a.count % 8)) - 1) }
        return out
    }

    /// Offsets `[0, count]` of a binary-like or list array as Int64.
    static func offsets(_ a: ArrayData) -> [Int64] {
        let n = a.count
        if a.type.hasLargeOffsets { return a.buffers[0].slice(0, (n + 1) * 8).toArray(of: Int64.self) }
        return a.buffers[0].slice(0, (n + 1) * 4).toArray(of: Int32.self).map { Int64($0) }
    }

    /// Approximate bytes held by `a` (used to decide when to cut a page).
    static func estimatedBytes(_ a: ArrayData) -> Int {
        var total = a.validity == nil ? 0 : (a.count + 7) / 8
        switch a.type {
        case .null: break
        case .bool: total += (a.count + 7) / 8
        case .utf8, .binary, .largeUtf8, .largeBinary:
            let w = a.type.hasLargeOffsets ? 8 : 4
            total += (a.count + 1) * w
            if a.count > 0 {
                let r0 = a.valueRange(0).lowerBound, r1 = a.valueRange(a.count - 1).upperBound
                total += max(0, r1 - r0)
            }
        case .list, .largeList:
            let w = a.type.hasLargeOffsets ? 8 : 4
            total += (a.count + 1) * w
            if a.count > 0 {
                let r0 = a.valueRange(0).lowerBound, r1 = a.valueRange(a.count - 1).upperBound
                if r1 > r0 { total += estimatedBytes(a.children[0].slice(r0, r1 - r0)) }
            }
        case .fixedSizeList, .struct:
            for c in a.children { total += estimatedBytes(c) }
        case .dictionary(let index, _):
            total += a.count * (index.byteWidth ?? 4) + (a.dictionary.map(estimatedBytes) ?? 0)
        default:
            total += a.count * (a.type.byteWidth ?? 0)
        }
        return total
    }

    /// Concatenates the buffered pieces of one top-level column. Dictionary pieces that share the same
    /// dictionary (an Arrow IPC stream's batches) keep it once instead of repeating it per piece.
    static func concatPending(_ arrays: [ArrayData], field: LanceField) throws -> ArrayData {
        if arrays.count > 1, case .struct(let members) = arrays[0].type, members.count == field.children.count {
            // Struct members one by one, so that dictionary members keep a shared dictionary too.
            let total = arrays.reduce(0) { $0 + $1.count }
            let validity: Bitmap? = arrays.contains { $0.validity != nil }
                ? Bitmap(arrays.lazy.flatMap { a in (0 ..< a.count).lazy.map { a.isValid($0) } }) : nil
            let children = try members.indices.map { k in try concatPending(arrays.map { $0.children[k] }, field: field.children[k]) }
            return ArrayData(type: arrays[0].type, count: total, validity: validity, children: children)
        }
        guard arrays.count > 1, case .dictionary(let indexType, _) = arrays[0].type, let first = arrays[0].dictionary else {
            return ArrayData.concat(arrays)
        }
        if arrays.dropFirst().allSatisfy({ $0.dictionary.map { sameValues($0, first) } ?? false }) {
            let indices = ArrayData.concat(arrays.map { ArrayData(type: indexType, count: $0.count, validity: $0.validity, buffers: $0.buffers) })
            return ArrayData(type: arrays[0].type, count: indices.count, validity: indices.validity, buffers: indices.buffers,
                             dictionary: first)
        }
        guard let w = indexType.byteWidth else { return ArrayData.concat(arrays) }
        // Different dictionaries: one dictionary of their distinct values, indices remapped.
        var keys: [[UInt8]?: Int] = [:]
        var picks: [(Int, Int)] = []
        var remaps: [[Int]] = []
        for (ai, a) in arrays.enumerated() {
            guard let d = a.dictionary else { throw LanceError(.invalidInput, "dictionary array without a dictionary", column: field.name) }
            var r = [Int](repeating: 0, count: d.count)
            for j in 0 ..< d.count {
                let key: [UInt8]?
                if d.isNull(j) { key = nil } else {
                    switch d.type {
                    case .utf8, .binary, .largeUtf8, .largeBinary: key = d.buffers[1].slice(d.valueRange(j)).bytes
                    case .bool: key = [d.boolValue(j) ? 1 : 0]
                    default:
                        guard let vw = d.type.byteWidth else { return ArrayData.concat(arrays) }
                        key = d.buffers[0].slice(j * vw, vw).bytes
                    }
                }
                if let k = keys[key] { r[j] = k } else { keys[key] = picks.count; r[j] = picks.count; picks.append((ai, j)) }
            }
            remaps.append(r)
        }
        guard w >= 8 || picks.count <= 1 << (8 * w - 1) else {
            throw LanceError(.unsupported, "the batches' dictionaries hold \(picks.count) distinct values, more than \(indexType) indices address",
                             column: field.name)
        }
        let dict = ArrayData.concat(picks.map { arrays[$0.0].dictionary!.slice($0.1, 1) })
        let total = arrays.reduce(0) { $0 + $1.count }
        var bytes = [UInt8](repeating: 0, count: total * w)
        var valid = [Bool](repeating: true, count: total)
        var row = 0
        for (ai, a) in arrays.enumerated() {
            let src = a.buffers[0].slice(0, a.count * w).bytes
            for i in 0 ..< a.count {
                defer { row += 1 }
                if a.isNull(i) { valid[row] = false; continue }
                var v: UInt64 = 0
                for b in 0 ..< w { v |= UInt64(src[i * w + b]) << (8 * b) }
                guard v < UInt64(remaps[ai].count) else {
                    throw LanceError(.invalidInput, "dictionary index \(v) is out of range (\(remaps[ai].count) values)", column: field.name)
                }
                withUnsafeBytes(of: UInt64(remaps[ai][Int(v)]).littleEndian) { for b in 0 ..< w { bytes[row * w + b] = $0[b] } }
            }
        }
        return ArrayData(type: arrays[0].type, count: total, validity: valid.allSatisfy { $0 } ? nil : Bitmap(valid),
                         buffers: [Buffer(bytes)], dictionary: dict)
    }

    /// Whether two arrays hold the same values (fixed-width and binary-like types; false otherwise).
    static func sameValues(_ a: ArrayData, _ b: ArrayData) -> Bool {
        guard a.type == b.type, a.count == b.count else { return false }
        for i in 0 ..< a.count where a.isNull(i) != b.isNull(i) { return false }
        switch a.type {
        case .utf8, .binary, .largeUtf8, .largeBinary:
            for i in 0 ..< a.count where a.isValid(i) {
                let ra = a.valueRange(i), rb = b.valueRange(i)
                guard ra.count == rb.count else { return false }
                if !ra.isEmpty && a.buffers[1].slice(ra).bytes != b.buffers[1].slice(rb).bytes { return false }
            }
            return true
        case .bool:
            for i in 0 ..< a.count where a.isValid(i) && a.boolValue(i) != b.boolValue(i) { return false }
            return true
        default:
            guard let w = a.type.byteWidth else { return false }
            return a.buffers[0].slice(0, a.count * w).bytes == b.buffers[0].slice(0, b.count * w).bytes
        }
    }

    /// Number of bits needed to represent `v` (0 for 0).
    static func bitsNeeded(_ v: UInt64) -> Int { 64 - v.leadingZeroBitCount }
}
