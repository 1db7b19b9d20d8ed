import LanceArrow
import LanceCore

extension Col {
    /// Converts to an Arrow array of this column's type (scalars are expanded to `count` rows).
    func toArrayData() throws -> ArrayData {
        let c = expanded()
        let n = c.count
        let validity: Bitmap? = c.valid.flatMap { v in v.allSatisfy { $0 } ? nil : Bitmap(buffer: Col.pack(v), count: v.count) }
        func fixed<T: BitwiseCopyable>(_ values: [T]) -> ArrayData {
            ArrayData(type: c.type, count: n, validity: validity, buffers: [Buffer(values: values)])
        }
        switch (c.type, c.storage) {
        case (.null, _): return ArrayData(type: .null, count: n)
        case (.bool, .bool(let v)):
            return ArrayData(type: .bool, count: n, validity: validity, buffers: [Col.pack(v)])
        case (.int8, .int(let v)): return fixed(v.map { Int8(truncatingIfNeeded: $0) })
        case (.int16, .int(let v)): return fixed(v.map { Int16(truncatingIfNeeded: $0) })
        case (.int32, .int(let v)), (.date32, .int(let v)): return fixed(v.map { Int32(truncatingIfNeeded: $0) })
        case (.int64, .int(let v)), (.date64, .int(let v)), (.timestamp, .int(let v)): return fixed(v)
        case (.uint8, .uint(let v)): return fixed(v.map { UInt8(truncatingIfNeeded: $0) })
        case (.uint16, .uint(let v)): return fixed(v.map { UInt16(truncatingIfNeeded: $0) })
        case (.uint32, .uint(let v)): return fixed(v.map { UInt32(truncatingIfNeeded: $0) })
        case (.uint64, .uint(let v)): return fixed(v)
        case (.float16, .float(let v)): return fixed(v.map { doubleToHalfBits($0) })
        case (.float32, .float(let v)): return fixed(v.map { Float($0) })
        case (.float64, .float(let v)): return fixed(v)
        case (.utf8, .bytes(let o, let d)), (.binary, .bytes(let o, let d)),
             (.largeUtf8, .bytes(let o, let d)), (.largeBinary, .bytes(let o, let d)):
            let base = o.first ?? 0
            let end = o.last ?? 0
            guard end <= d.count, base <= end else { throw LanceError(.internal, "string offsets out of range") }
            let data = d.slice(base ..< end)
            let ob = c.type.hasLargeOffsets ? Buffer(values: o.map { Int64($0 - base) }) : Buffer(values: o.map { Int32(truncatingIfNeeded: $0 - base) })
            return ArrayData(type: c.type, count: n, validity: validity, buffers: [ob, data])
        case (.list, .list(let o, let items)), (.largeList, .list(let o, let items)):
            let base = o.first ?? 0
            let end = o.last ?? 0
            let child = try items.expanded().sliceRows(base, end - base).toArrayData()
            let ob = c.type.hasLargeOffsets ? Buffer(values: o.map { Int64($0 - base) }) : Buffer(values: o.map { Int32(truncatingIfNeeded: $0 - base) })
            return ArrayData(type: c.type, count: n, validity: validity, buffers: [ob], children: [child])
        case (.fixedSizeList, .list(let o, let items)):
            let base = o.first ?? 0
            let end = o.last ?? 0
            return ArrayData(type: c.type, count: n, validity: validity,
                             children: [try items.expanded().sliceRows(base, end - base).toArrayData()])
        case (.struct, .structure(let children)):
            return ArrayData(type: c.type, count: n, validity: validity, children: try children.map { try $0.expanded().toArrayData() })
        default:
            throw LanceError(.internal, "cannot output \(c.type) from the evaluator's \(c.storage) storage")
        }
    }

    /// Packs booleans into an Arrow bitmap (LSB first), eight at a time: the eight 0/1 bytes read
    /// as one little-endian word, multiplied so that byte k's bit lands on bit 56 + k.
    static func pack(_ v: [Bool]) -> Buffer {
        let n = v.count
        return Buffer(count: (n + 7) / 8) { out in
            v.withUnsafeBytes { raw in
                let full = n / 8
                for k in 0 ..< full {
                    let x = raw.loadUnaligned(fromByteOffset: k * 8, as: UInt64.self)
                    out[k] = UInt8(truncatingIfNeeded: (x &* 0x0102_0408_1020_4080) >> 56)
                }
                var tail: UInt8 = 0
                for i in full * 8 ..< n where raw[i] != 0 { tail |= UInt8(1 << (i & 7)) }
                if n % 8 != 0 { out[full] = tail }
            }
        }
    }

    func sliceRows(_ start: Int, _ length: Int) -> Col {
        if start == 0 && length == count { return self }
        return gather(Array(start ..< start + length))
    }
}
