// Bit readers for Zstandard.
//
// Huffman and FSE streams are written forwards and read backwards: the last byte holds a 1 "end mark"
// bit above the final bits, and reading starts just below that mark and walks towards the first byte.
// `ZstdBitReader` is the fast reader (a 64-bit container refilled from unaligned loads);
// `ZstdReferenceBitReader` is the plain one (one bit at a time) that tests use to cross-check it.

/// Fast backward bit reader. Every load stays inside `[start, start + count)`. Reading past the
/// beginning of the stream is not trapped: it makes `consumed` exceed 64, which `overflowed` and
/// `isExactlyConsumed` report, and the values read in that state are meaningless but bounded
/// (a read of `n` bits is always `< 1 << n`).
struct ZstdBitReader {
    let start: UnsafePointer<UInt8>
    var ptr: UnsafePointer<UInt8>
    var container: UInt64
    /// Bits of `container` already consumed, counted from its top.
    var consumed: Int

    init(_ start: UnsafePointer<UInt8>, count: Int) throws(CodecError) {
        guard count > 0 else { throw CodecError(.corrupt, "zstd: empty bitstream") }
        let last = start[count - 1]
        guard last != 0 else { throw CodecError(.corrupt, "zstd: bitstream lacks its end mark") }
        self.start = start
        let lead = last.leadingZeroBitCount + 1
        if count >= 8 {
            ptr = start + (count - 8)
            container = UInt64(littleEndian: UnsafeRawPointer(ptr).loadUnaligned(as: UInt64.self))
            consumed = lead
        } else {
            ptr = start
            var c: UInt64 = 0
            for i in 0..<count { c |= UInt64(start[i]) << (8 * i) }
            container = c
            consumed = lead + (8 - count) * 8
        }
    }

    /// Reads `n` bits (0...63), most significant first.
    @inline(__always) mutating func read(_ n: Int) -> UInt64 {
        let v = ((container &<< UInt64(truncatingIfNeeded: consumed)) &>> 1) &>> UInt64(truncatingIfNeeded: 63 &- n)
        consumed &+= n
        return v
    }

    /// The next `n` bits (1...63) without consuming them; zeros beyond the start of the stream.
    @inline(__always) func peek(_ n: Int) -> Int {
        Int(truncatingIfNeeded: (container &<< UInt64(truncatingIfNeeded: consumed)) &>> UInt64(truncatingIfNeeded: 64 &- n))
    }

    @inline(__always) mutating func skip(_ n: Int) { consumed &+= n }

    /// Refills the container so that at least 57 bits are available (or all that remain).
    @inline(__always) mutating func reload() {
        if consumed > 64 { return }
        if ptr - start >= 8 {
            ptr -= consumed &>> 3
            consumed &= 7
            container = UInt64(littleEndian: UnsafeRawPointer(ptr).loadUnaligned(as: UInt64.self))
        } else if ptr != start {
            var nb = consumed &>> 3
            let avail = ptr - start
            if nb > avail { nb = avail }
            ptr -= nb
            consumed &-= nb &* 8
            container = UInt64(littleEndian: UnsafeRawPointer(ptr).loadUnaligned(as: UInt64.self))
        }
    }

    /// True once more bits were read than the stream holds (only meaningful after `reload()`).
    var overflowed: Bool { consumed > 64 }

    /// True when every bit of the stream was read, no more and no less.
    mutating func isExactlyConsumed() -> Bool {
        reload()
        return ptr == start && consumed == 64
    }
}

/// Plain backward bit reader: obviously correct, slow. Reads past the beginning yield zero bits.
struct ZstdReferenceBitReader {
    let bytes: [UInt8]
    /// Number of unread bits; negative after reading past the beginning.
    var bitsLeft: Int

    init(_ bytes: [UInt8]) throws(CodecError) {
        guard let last = bytes.last else { throw CodecError(.corrupt, "zstd: empty bitstream") }
        guard last != 0 else { throw CodecError(.corrupt, "zstd: bitstream lacks its end mark") }
        self.bytes = bytes
        bitsLeft = bytes.count * 8 - (last.leadingZeroBitCount + 1)
    }

    mutating func read(_ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for _ in 0..<n {
            bitsLeft -= 1
            var bit: UInt64 = 0
            if bitsLeft >= 0 { bit = UInt64((bytes[bitsLeft / 8] >> UInt8(bitsLeft % 8)) & 1) }
            v = (v << 1) | bit
        }
        return v
    }

    var overflowed: Bool { bitsLeft < 0 }
    var isExactlyConsumed: Bool { bitsLeft == 0 }
}

/// Forward little-endian bit reader over a byte range (used for FSE table descriptions). Bits beyond
/// the end read as zero; `bytesUsed` tells the caller whether it went too far.
struct ZstdForwardBitReader {
    let base: UnsafePointer<UInt8>
    let count: Int
    var bitPos = 0

    init(_ base: UnsafePointer<UInt8>, count: Int) {
        self.base = base
        self.count = count
    }

    /// The next `n` (≤ 24) bits, least significant first.
    func peek(_ n: Int) -> Int {
        var v = 0
        var got = 0
        var byte = bitPos >> 3
        var shift = bitPos & 7
        while got < n {
            let b = byte < count ? Int(base[byte]) : 0
            v |= (b >> shift) << got
            got += 8 - shift
            shift = 0
            byte += 1
        }
        return v & ((1 << n) - 1)
    }

    mutating func read(_ n: Int) -> Int {
        let v = peek(n)
        bitPos += n
        return v
    }

    var bytesUsed: Int { (bitPos + 7) >> 3 }
}

@inline(__always) func zstdHighBit(_ x: Int) -> Int { Int.bitWidth - 1 - x.leadingZeroBitCount }
