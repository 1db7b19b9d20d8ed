/// FastLanes bit-packing as Lance lays it out: blocks of 1024 values of an 8/16/32/64-bit type.
///
/// Layout (T = bits of the value type, W = packed width, LANES = 1024 / T): the block is split into
/// LANES independent lanes. Lane `l` holds the T values at indices
/// `order(r / 8) * 16 + (r % 8) * 128 + l` for `r = 0 ..< T`, where `order` is the 3-bit bit reversal
/// (0, 4, 2, 6, 1, 5, 3, 7). The lane is a little-endian bit stream in which row `r` occupies bits
/// `r*W ..< (r+1)*W`; word `k` of that stream is stored at word position `LANES * k + l` of the output.
/// A packed block therefore has `W * LANES` words of T, i.e. `W * 128` bytes.
public enum FastLanes {
    /// Number of values in one block.
    public static let blockSize = 1024

    /// Bytes of one packed block at `bitWidth` bits (independent of the value type).
    @inlinable
    public static func packedByteCount(bitWidth: Int) -> Int { bitWidth * 128 }

    /// The FastLanes "unified transposed" order: a 3-bit bit reversal.
    @inline(__always)
    static func order(_ o: Int) -> Int { ((o & 1) << 2) | (o & 2) | ((o >> 2) & 1) }

    /// Index in the 1024-value block of row `row` of lane `lane`.
    @inline(__always)
    static func valueIndex(row: Int, lane: Int) -> Int { order(row >> 3) * 16 + (row & 7) * 128 + lane }

    // MARK: - Public entry points

    /// Unpacks one block of 1024 values packed at `bitWidth` bits (`bitWidth * 128` bytes of input).
    /// `packed` may be unaligned; extra bytes after the block are ignored. Throws if `bitWidth` is outside
    /// `0...T`, if `packed` is too short, or if `out` has fewer than 1024 elements.
    public static func unpack<T: FixedWidthInteger & UnsignedInteger>(
        _ packed: UnsafeRawBufferPointer, bitWidth: Int, into out: UnsafeMutableBufferPointer<T>
    ) throws(CodecError) {
        try check(T.self, packedBytes: packed.count, bitWidth: bitWidth, outCount: out.count)
        guard let dst = out.baseAddress else { return }
        let src = packed.baseAddress ?? UnsafeRawPointer(dst)  // bitWidth == 0 never reads
        switch T.bitWidth {
        case 8: unpackKernel(src, bitWidth, UnsafeMutableRawPointer(dst).assumingMemoryBound(to: UInt8.self))
        case 16: unpackKernel(src, bitWidth, UnsafeMutableRawPointer(dst).assumingMemoryBound(to: UInt16.self))
        case 32: unpackKernel(src, bitWidth, UnsafeMutableRawPointer(dst).assumingMemoryBound(to: UInt32.self))
        case 64: unpackKernel(src, bitWidth, UnsafeMutableRawPointer(dst).assumingMemoryBound(to: UInt64.self))
        default: throw CodecError(.unsupported, "FastLanes needs an 8, 16, 32 or 64-bit type")
        }
    }

    /// Packs 1024 values at `bitWidth` bits into `out` (`bitWidth * 128` bytes). Bits of each value above
    /// `bitWidth` are ignored. Preconditions (programmer errors): `values.count >= 1024`,
    /// `0 <= bitWidth <= T.bitWidth`, `out.count >= bitWidth * 128`.
    public static func pack<T: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafeBufferPointer<T>, bitWidth: Int, into out: UnsafeMutableRawBufferPointer
    ) {
        precondition(values.count >= blockSize, "FastLanes.pack needs 1024 values")
        precondition(bitWidth >= 0 && bitWidth <= T.bitWidth, "bit width out of range")
        precondition(out.count >= packedByteCount(bitWidth: bitWidth), "output too small")
        guard bitWidth > 0, let src = values.baseAddress, let dst = out.baseAddress else { return }
        switch T.bitWidth {
        case 8: packKernel(UnsafeRawPointer(src).assumingMemoryBound(to: UInt8.self), bitWidth, dst)
        case 16: packKernel(UnsafeRawPointer(src).assumingMemoryBound(to: UInt16.self), bitWidth, dst)
        case 32: packKernel(UnsafeRawPointer(src).assumingMemoryBound(to: UInt32.self), bitWidth, dst)
        case 64: packKernel(UnsafeRawPointer(src).assumingMemoryBound(to: UInt64.self), bitWidth, dst)
        default: preconditionFailure("FastLanes needs an 8, 16, 32 or 64-bit type")
        }
    }

    /// Array convenience: unpacks one block from `packed` starting at byte `offset`.
    public static func unpack<T: FixedWidthInteger & UnsignedInteger>(
        _ packed: [UInt8], offset: Int = 0, bitWidth: Int, as type: T.Type = T.self
    ) throws(CodecError) -> [T] {
        guard offset >= 0, offset <= packed.count else { throw CodecError(.truncated, "offset past end", offset: offset) }
        var out = [T](repeating: 0, count: blockSize)
        var failure: CodecError?
        packed.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { o in
                do throws(CodecError) {
                    try unpack(UnsafeRawBufferPointer(rebasing: raw[offset...]), bitWidth: bitWidth, into: o)
                } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Array convenience: packs the first 1024 values (missing ones count as 0).
    public static func pack<T: FixedWidthInteger & UnsignedInteger>(_ values: [T], bitWidth: Int) -> [UInt8] {
        var block = Array(values.prefix(blockSize))
        if block.count < blockSize { block += [T](repeating: 0, count: blockSize - block.count) }
        var out = [UInt8](repeating: 0, count: packedByteCount(bitWidth: bitWidth))
        block.withUnsafeBufferPointer { v in out.withUnsafeMutableBytes { pack(v, bitWidth: bitWidth, into: $0) } }
        return out
    }

    // MARK: - Lance page layouts

    /// Decodes an `inline_bitpacking` mini-block value buffer: blocks of (bit width as one `T` word, then
    /// `width * 128` bytes), each holding 1024 values, the last one padded. Returns the first `count` values.
    public static func unpackInlineChunk<T: FixedWidthInteger & UnsignedInteger>(
        _ buffer: UnsafeRawBufferPointer, count: Int, as type: T.Type = T.self
    ) throws(CodecError) -> [T] {
        guard count >= 0 else { throw CodecError(.corrupt, "negative value count") }
        let wordBytes = T.bitWidth / 8
        let blocks = (count + blockSize - 1) / blockSize
        // Every block takes at least its width word: bound the allocation by the input.
        guard blocks <= buffer.count / wordBytes else {
            throw CodecError(.truncated, "\(count) bit-packed values cannot fit in \(buffer.count) bytes")
        }
        var out = [T](repeating: 0, count: blocks * blockSize)
        var pos = 0
        try out.withUnsafeMutableBufferPointer { (o: inout UnsafeMutableBufferPointer<T>) throws(CodecError) in
            for b in 0..<blocks {
                guard buffer.count - pos >= wordBytes else { throw CodecError(.truncated, "bit width cut off", offset: pos) }
                var w: UInt64 = 0
                for i in 0..<wordBytes { w |= UInt64(buffer[pos + i]) << UInt64(8 * i) }
                pos += wordBytes
                guard w <= UInt64(T.bitWidth) else { throw CodecError(.corrupt, "bit width \(w) for a \(T.bitWidth)-bit type", offset: pos - wordBytes) }
                let width = Int(w)
                let slice = UnsafeMutableBufferPointer(rebasing: o[(b * blockSize)..<((b + 1) * blockSize)])
                try unpack(UnsafeRawBufferPointer(rebasing: buffer[pos...]), bitWidth: width, into: slice)
                pos += packedByteCount(bitWidth: width)
            }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// Encodes values as an `inline_bitpacking` mini-block value buffer, the inverse of `unpackInlineChunk`:
    /// each block of 1024 values (the last padded with zeros) is written as its bit width (the bits needed by
    /// its largest value, as one `T` word) followed by the packed block. This is the layout pylance writes.
    public static func packInlineChunk<T: FixedWidthInteger & UnsignedInteger>(_ values: [T]) -> [UInt8] {
        var out: [UInt8] = []
        var block = [T](repeating: 0, count: blockSize)
        for start in stride(from: 0, to: values.count, by: blockSize) {
            let end = min(values.count, start + blockSize)
            var all: T = 0
            for i in start..<end {
                block[i - start] = values[i]
                all |= values[i]
            }
            for i in (end - start)..<blockSize { block[i] = 0 }
            let width = T.bitWidth - all.leadingZeroBitCount
            withUnsafeBytes(of: T(width).littleEndian) { out += $0 }
            let at = out.count
            out += [UInt8](repeating: 0, count: packedByteCount(bitWidth: width))
            block.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBytes { o in pack(v, bitWidth: width, into: UnsafeMutableRawBufferPointer(rebasing: o[at...])) }
            }
        }
        return out
    }

    /// Decodes an `out_of_line_bitpacking` buffer of `count` values at one `bitWidth`: whole blocks of
    /// `bitWidth * 128` bytes, then the tail either as one more padded block or as raw `T` values (the
    /// writer picks whichever is smaller; the buffer length tells which).
    public static func unpackOutOfLine<T: FixedWidthInteger & UnsignedInteger>(
        _ buffer: UnsafeRawBufferPointer, bitWidth: Int, count: Int, as type: T.Type = T.self
    ) throws(CodecError) -> [T] {
        guard bitWidth >= 0, bitWidth <= T.bitWidth else { throw CodecError(.corrupt, "bit width \(bitWidth) out of range") }
        guard count >= 0 else { throw CodecError(.corrupt, "negative value count") }
        let wordBytes = T.bitWidth / 8
        let blockBytes = packedByteCount(bitWidth: bitWidth)
        let whole = count / blockSize, tail = count % blockSize
        let (wholeBytes, o1) = whole.multipliedReportingOverflow(by: blockBytes)
        guard !o1, wholeBytes <= buffer.count else { throw CodecError(.truncated, "bit-packed buffer too short") }
        let rawTail = tail > 0 && buffer.count - wholeBytes == tail * wordBytes  // as the Rust reader decides
        if tail > 0 && !rawTail && buffer.count - wholeBytes < blockBytes {
            throw CodecError(.truncated, "bit-packed tail block cut off")
        }
        // Zero-width data has no bytes: bound the allocation differently.
        guard bitWidth > 0 || count <= 1 << 24 else { throw CodecError(.limitExceeded, "\(count) zero-width values") }
        var out = [T](repeating: 0, count: (whole + (tail > 0 ? 1 : 0)) * blockSize)
        try out.withUnsafeMutableBufferPointer { (o: inout UnsafeMutableBufferPointer<T>) throws(CodecError) in
            for b in 0..<whole {
                let slice = UnsafeMutableBufferPointer(rebasing: o[(b * blockSize)..<((b + 1) * blockSize)])
                try unpack(UnsafeRawBufferPointer(rebasing: buffer[(b * blockBytes)...]), bitWidth: bitWidth, into: slice)
            }
            guard tail > 0 else { return }
            if rawTail {
                for i in 0..<tail {
                    o[whole * blockSize + i] = T(littleEndian: buffer.loadUnaligned(fromByteOffset: wholeBytes + i * wordBytes, as: T.self))
                }
            } else {
                let slice = UnsafeMutableBufferPointer(rebasing: o[(whole * blockSize)...])
                try unpack(UnsafeRawBufferPointer(rebasing: buffer[wholeBytes...]), bitWidth: bitWidth, into: slice)
            }
        }
        out.removeLast(out.count - count)
        return out
    }

    // MARK: - Reference implementation (one bit at a time, straight from the index formula)

    /// Slow reference unpacker used to cross-check the fast kernels.
    public static func unpackReference<T: FixedWidthInteger & UnsignedInteger>(
        _ packed: UnsafeRawBufferPointer, bitWidth: Int, into out: UnsafeMutableBufferPointer<T>
    ) throws(CodecError) {
        try check(T.self, packedBytes: packed.count, bitWidth: bitWidth, outCount: out.count)
        let tBits = T.bitWidth, lanes = blockSize / tBits, wordBytes = tBits / 8
        for lane in 0..<lanes {
            for row in 0..<tBits {
                var v: T = 0
                for b in 0..<bitWidth {
                    let p = row * bitWidth + b
                    let word = p / tBits, bit = p % tBits
                    let byteOffset = (lanes * word + lane) * wordBytes + bit / 8
                    if (packed[byteOffset] >> UInt8(bit % 8)) & 1 == 1 { v |= T(1) << T(b) }
                }
                out[valueIndex(row: row, lane: lane)] = v
            }
        }
    }

    /// Slow reference packer used to cross-check the fast kernels.
    public static func packReference<T: FixedWidthInteger & UnsignedInteger>(
        _ values: UnsafeBufferPointer<T>, bitWidth: Int, into out: UnsafeMutableRawBufferPointer
    ) {
        precondition(values.count >= blockSize && bitWidth >= 0 && bitWidth <= T.bitWidth)
        let tBits = T.bitWidth, lanes = blockSize / tBits, wordBytes = tBits / 8
        let n = packedByteCount(bitWidth: bitWidth)
        precondition(out.count >= n)
        for i in 0..<n { out[i] = 0 }
        for lane in 0..<lanes {
            for row in 0..<tBits {
                let v = values[valueIndex(row: row, lane: lane)]
                for b in 0..<bitWidth where (v >> T(b)) & 1 == 1 {
                    let p = row * bitWidth + b
                    let word = p / tBits, bit = p % tBits
                    let byteOffset = (lanes * word + lane) * wordBytes + bit / 8
                    out[byteOffset] |= UInt8(1) << UInt8(bit % 8)
                }
            }
        }
    }

    // MARK: - Kernels

    private static func check<T: FixedWidthInteger>(_: T.Type, packedBytes: Int, bitWidth: Int, outCount: Int)
        throws(CodecError)
    {
        guard bitWidth >= 0, bitWidth <= T.bitWidth else {
            throw CodecError(.corrupt, "bit width \(bitWidth) out of range for a \(T.bitWidth)-bit type")
        }
        guard packedBytes >= packedByteCount(bitWidth: bitWidth) else {
            throw CodecError(.truncated, "bit-packed block needs \(packedByteCount(bitWidth: bitWidth)) bytes, have \(packedBytes)")
        }
        guard outCount >= blockSize else { throw CodecError(.corrupt, "output holds fewer than 1024 values") }
    }

    /// Row-major kernel: for each row the word position and shift are the same in every lane, so the
    /// inner loop over lanes reads and writes contiguous memory and vectorizes.
    @inline(__always)
    static func unpackKernel<T: FixedWidthInteger & UnsignedInteger>(
        _ src: UnsafeRawPointer, _ width: Int, _ dst: UnsafeMutablePointer<T>
    ) {
        let tBits = T.bitWidth
        let lanes = blockSize / tBits
        let stride = MemoryLayout<T>.stride
        if width == 0 {
            dst.update(repeating: 0, count: blockSize)
            return
        }
        let mask: T = width == tBits ? ~T(0) : (T(1) &<< T(width)) &- 1
        for row in 0..<tBits {
            let bit = row * width
            let word = bit / tBits, shift = bit % tBits
            let out = dst + valueIndex(row: row, lane: 0)
            let lo = src + word * lanes * stride
            if shift + width <= tBits {
                for l in 0..<lanes {
                    out[l] = (lo.loadUnaligned(fromByteOffset: l * stride, as: T.self) &>> T(shift)) & mask
                }
            } else {
                let hi = lo + lanes * stride
                let up = T(tBits - shift)
                for l in 0..<lanes {
                    let a = lo.loadUnaligned(fromByteOffset: l * stride, as: T.self) &>> T(shift)
                    let b = hi.loadUnaligned(fromByteOffset: l * stride, as: T.self) &<< up
                    out[l] = (a | b) & mask
                }
            }
        }
    }

    @inline(__always)
    static func packKernel<T: FixedWidthInteger & UnsignedInteger>(
        _ src: UnsafePointer<T>, _ width: Int, _ dst: UnsafeMutableRawPointer
    ) {
        let tBits = T.bitWidth
        let lanes = blockSize / tBits
        let stride = MemoryLayout<T>.stride
        let mask: T = width == tBits ? ~T(0) : (T(1) &<< T(width)) &- 1
        dst.initializeMemory(as: UInt8.self, repeating: 0, count: packedByteCount(bitWidth: width))
        for row in 0..<tBits {
            let bit = row * width
            let word = bit / tBits, shift = bit % tBits
            let input = src + valueIndex(row: row, lane: 0)
            let lo = dst + word * lanes * stride
            for l in 0..<lanes {
                let v = (input[l] & mask) &<< T(shift)
                let old = lo.loadUnaligned(fromByteOffset: l * stride, as: T.self)
                lo.storeBytes(of: old | v, toByteOffset: l * stride, as: T.self)
            }
            if shift + width > tBits {
                let hi = lo + lanes * stride
                let down = T(tBits - shift)
                for l in 0..<lanes {
                    // The high word is first touched here, so a plain store is enough.
                    hi.storeBytes(of: (input[l] & mask) &>> down, toByteOffset: l * stride, as: T.self)
                }
            }
        }
    }
}
