/// A read-only bitmap in Arrow's LSB-first bit order, viewed from a bit offset.
///
/// Used for validity (1 = valid) and for bool values.
public struct Bitmap: Sendable {
    public let buffer: Buffer
    /// Bit offset of bit 0 inside `buffer`.
    public let offset: Int
    /// Number of bits.
    public let count: Int

    public init(buffer: Buffer, offset: Int = 0, count: Int) {
        precondition(offset >= 0 && count >= 0 && (offset + count + 7) / 8 <= buffer.count,
                     "bitmap larger than its buffer")
        self.buffer = buffer
        self.offset = offset
        self.count = count
    }

    /// Builds a bitmap from booleans.
    public init<C: Collection>(_ bits: C) where C.Element == Bool {
        let n = bits.count
        // Contiguous input (e.g. [Bool]): pack 8 flags per byte through a pointer, without the generic iterator.
        if let packed = bits.withContiguousStorageIfAvailable({ src -> Buffer in
            Buffer(count: (n + 7) / 8) { out in
                var byte = 0
                var i = 0
                while i < n {
                    var v: UInt8 = 0
                    let end = Swift.min(i + 8, n)
                    var k: UInt8 = 0
                    while i < end {
                        if src[i] { v |= 1 << k }
                        i += 1
                        k += 1
                    }
                    out[byte] = v
                    byte += 1
                }
            }
        }) {
            self.init(buffer: packed, offset: 0, count: n)
            return
        }
        let buffer = Buffer(count: (n + 7) / 8) { out in
            var i = 0
            for b in bits {
                if b { out[i >> 3] |= UInt8(1 << (i & 7)) }
                i += 1
            }
        }
        self.init(buffer: buffer, offset: 0, count: n)
    }

    /// A bitmap of `count` bits, all set to `value`.
    public init(repeating value: Bool, count: Int) {
        let buffer = Buffer(count: (count + 7) / 8) { out in
            if value { for i in 0 ..< out.count { out[i] = 0xFF } }
        }
        self.init(buffer: buffer, offset: 0, count: count)
    }

    @inlinable
    public subscript(i: Int) -> Bool {
        precondition(i >= 0 && i < count, "bitmap index out of range")
        let bit = offset + i
        return buffer[bit >> 3] & UInt8(1 << (bit & 7)) != 0
    }

    /// Number of set bits.
    public var setCount: Int {
        var n = 0
        buffer.withUnsafeBytes { raw in
            var i = 0
            // head bits until byte aligned
            while i < count && (offset + i) & 7 != 0 {
                let b = offset + i
                if raw[b >> 3] & UInt8(1 << (b & 7)) != 0 { n += 1 }
                i += 1
            }
            while i + 8 <= count {
                n += raw[(offset + i) >> 3].nonzeroBitCount
                i += 8
            }
            while i < count {
                let b = offset + i
                if raw[b >> 3] & UInt8(1 << (b & 7)) != 0 { n += 1 }
                i += 1
            }
        }
        return n
    }

    /// Bits `[start, start + length)`, sharing storage.
    public func slice(_ start: Int, _ length: Int) -> Bitmap {
        precondition(start >= 0 && length >= 0 && start + length <= count, "bitmap slice out of range")
        return Bitmap(buffer: buffer, offset: offset + start, count: length)
    }

    /// A copy whose bit 0 is at offset 0 of a fresh buffer (as Arrow IPC and the writers need).
    public func normalized() -> Bitmap {
        if offset == 0 { return self }
        return Bitmap((0 ..< count).lazy.map { self[$0] })
    }
}
