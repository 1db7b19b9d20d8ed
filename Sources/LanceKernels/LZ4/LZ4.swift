/// The LZ4 block format (not the frame format) in pure Swift.
///
/// A block is a list of sequences: a token byte (high nibble literal length, low nibble match length - 4,
/// 15 meaning "more length bytes follow, each adding up to 255"), the literals, then a 2-byte little-endian
/// back-reference offset and the match. The last sequence has literals only.
public enum LZ4 {
    /// Largest expansion one input byte can produce (a 255 length byte adds 255 output bytes).
    static let maxRatio = 255

    /// Spare bytes after the logical end of our own output buffers so copies can run in 8/16-byte steps.
    static let slack = 32

    /// Decompresses one LZ4 block whose decompressed size is known (Lance stores it in front).
    /// Throws if the block is corrupt or truncated, or if it does not produce exactly `decompressedSize` bytes.
    /// A `decompressedSize` no block of `input.count` bytes could reach is rejected before allocating.
    public static func decompressBlock(_ input: UnsafeRawBufferPointer, decompressedSize: Int) throws(CodecError) -> [UInt8] {
        guard decompressedSize >= 0 else { throw CodecError(.corrupt, "negative decompressed size") }
        guard decompressedSize <= input.count &* maxRatio &+ 16 else {
            throw CodecError(.limitExceeded, "declared size \(decompressedSize) impossible for a \(input.count)-byte lz4 block")
        }
        if decompressedSize == 0 && input.count == 0 { return [] }
        var failure: CodecError?
        let out = [UInt8](unsafeUninitializedCapacity: decompressedSize + slack) { buf, initialized in
            do throws(CodecError) {
                let n = try decode(input, into: buf.baseAddress!, limit: decompressedSize, capacity: decompressedSize + slack)
                guard n == decompressedSize else {
                    throw CodecError(.corrupt, "lz4 block produced \(n) bytes, expected \(decompressedSize)")
                }
                initialized = n
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        return out
    }

    /// Array convenience.
    public static func decompressBlock(_ input: [UInt8], decompressedSize: Int) throws(CodecError) -> [UInt8] {
        var result: Result<[UInt8], CodecError> = .success([])
        input.withUnsafeBytes { raw in
            do throws(CodecError) { result = .success(try decompressBlock(raw, decompressedSize: decompressedSize)) } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    /// Decompresses one block into caller memory; returns the number of bytes written. Throws if the output
    /// would not fit in `output`.
    public static func decompressBlock(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        guard let base = output.baseAddress else {
            if input.count == 1 && input[0] == 0 { return 0 }
            throw CodecError(input.isEmpty ? .truncated : .corrupt, "lz4 block does not fit in an empty output")
        }
        return try decode(input, into: base.assumingMemoryBound(to: UInt8.self), limit: output.count, capacity: output.count)
    }

    /// The decoder. Writes at most `limit` bytes; may scribble (never read back) up to `capacity`.
    @inline(__always)
    static func decode(_ input: UnsafeRawBufferPointer, into dst: UnsafeMutablePointer<UInt8>, limit: Int, capacity: Int)
        throws(CodecError) -> Int
    {
        let n = input.count
        guard n > 0, let src = input.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            throw CodecError(.truncated, "empty lz4 block")
        }
        var ip = 0
        var op = 0
        while true {
            guard ip < n else { throw CodecError(.truncated, "lz4 block ends before a token", offset: ip) }
            let token = Int(src[ip])
            ip &+= 1
            var litLen = token >> 4

            // Shortcut for the common short sequence (literals < 15, match < 19) when there is room on both
            // sides: fixed-size copies, no length bytes. The sequence fits in 32 output bytes; the copies
            // scribble at most 38 bytes ahead.
            if litLen != 15 && token & 15 != 15 && n &- ip >= 18 && limit &- op >= 32 && capacity &- op >= 40 {
                let out = UnsafeMutableRawPointer(dst + op)
                out.copyMemory(from: src + ip, byteCount: 16)
                ip &+= litLen
                op &+= litLen
                let offset = Int(src[ip]) | Int(src[ip &+ 1]) << 8
                ip &+= 2
                guard offset != 0, offset <= op else {
                    throw CodecError(.corrupt, "lz4 match offset \(offset) invalid at output position \(op)", offset: ip - 2)
                }
                let matchLen = (token & 15) &+ 4
                if offset >= 8 {
                    let m = UnsafeMutableRawPointer(dst + op)
                    let from = UnsafeRawPointer(dst + op - offset)
                    m.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    m.storeBytes(of: from.loadUnaligned(fromByteOffset: 8, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
                    m.storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: UInt64.self), toByteOffset: 16, as: UInt64.self)
                } else {
                    copyMatch(dst, op: op, offset: offset, length: matchLen, roomToCapacity: capacity &- op)
                }
                op &+= matchLen
                continue
            }

            // Literals.
            if litLen == 15 {
                while true {
                    guard ip < n else { throw CodecError(.truncated, "lz4 literal length runs past the end", offset: ip) }
                    let b = Int(src[ip])
                    ip += 1
                    litLen += b
                    if b != 255 { break }
                }
            }
            guard litLen <= n - ip else { throw CodecError(.truncated, "lz4 literals run past the end", offset: ip) }
            guard litLen <= limit - op else { throw CodecError(.corrupt, "lz4 literals overflow the output", offset: ip) }
            if litLen <= 16 && n - ip >= 16 && capacity - op >= 16 {
                // Short literal run: one unconditional 16-byte copy.
                UnsafeMutableRawPointer(dst + op).copyMemory(from: src + ip, byteCount: 16)
            } else {
                UnsafeMutableRawPointer(dst + op).copyMemory(from: src + ip, byteCount: litLen)
            }
            ip += litLen
            op += litLen
            if ip == n { return op }  // the last sequence has no match

            // Match.
            guard n - ip >= 2 else { throw CodecError(.truncated, "lz4 match offset cut off", offset: ip) }
            let offset = Int(src[ip]) | Int(src[ip + 1]) << 8
            ip += 2
            guard offset != 0 else { throw CodecError(.corrupt, "lz4 match offset 0", offset: ip - 2) }
            guard offset <= op else { throw CodecError(.corrupt, "lz4 match reaches before the start", offset: ip - 2) }
            var matchLen = token & 15
            if matchLen == 15 {
                while true {
                    guard ip < n else { throw CodecError(.truncated, "lz4 match length runs past the end", offset: ip) }
                    let b = Int(src[ip])
                    ip += 1
                    matchLen += b
                    if b != 255 { break }
                }
            }
            matchLen += 4
            guard matchLen <= limit - op else { throw CodecError(.corrupt, "lz4 match overflows the output", offset: ip) }
            copyMatch(dst, op: op, offset: offset, length: matchLen, roomToCapacity: capacity - op)
            op += matchLen
        }
    }

    @inline(__always)
    static func copyMatch(_ dst: UnsafeMutablePointer<UInt8>, op: Int, offset: Int, length: Int, roomToCapacity: Int) {
        let out = UnsafeMutableRawPointer(dst + op)
        let from = UnsafeRawPointer(dst + op - offset)
        if offset >= 8 && roomToCapacity >= length + 8 {
            // Forward 8-byte steps; each step reads bytes written at least 8 bytes earlier.
            var i = 0
            repeat {
                out.storeBytes(of: from.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                i += 8
            } while i < length
        } else if offset == 1 {
            out.initializeMemory(as: UInt8.self, repeating: dst[op - 1], count: length)
        } else if offset >= length {
            out.copyMemory(from: from, byteCount: length)
        } else if roomToCapacity >= length + 8 {
            // Short period: write the first 8 bytes one at a time. After that the output repeats with
            // period `step` (a multiple of offset, at most 8), and each 8-byte load at `j - step` only
            // covers bytes already written, because the previous store ended at `j - step + 8`.
            var i = 0
            while i < 8 {
                out.storeBytes(of: from.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
                i += 1
            }
            let step = offset * (8 / offset)
            let src2 = UnsafeRawPointer(out)
            var j = step
            while j < length {
                out.storeBytes(of: src2.loadUnaligned(fromByteOffset: j - step, as: UInt64.self), toByteOffset: j, as: UInt64.self)
                j += step
            }
        } else {
            for i in 0..<length { dst[op + i] = dst[op - offset + i] }
        }
    }

    // MARK: - Encoder

    static let minMatch = 4
    /// A match must start at least this many bytes before the end of the block.
    static let matchStartLimit = 12
    /// The last bytes of a block are always literals.
    static let lastLiterals = 5
    static let hashLog = 12

    /// Upper bound of the compressed size of `n` bytes.
    public static func compressBound(_ n: Int) -> Int { n + n / 255 + 16 }

    /// Compresses `input` into one LZ4 block (greedy matcher with a hash table, like liblz4's fast mode).
    public static func compressBlock(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        let n = input.count
        return [UInt8](unsafeUninitializedCapacity: compressBound(n)) { out, written in
            written = encode(input, out.baseAddress!)
        }
    }

    /// Array convenience.
    public static func compressBlock(_ input: [UInt8]) -> [UInt8] {
        input.withUnsafeBytes { compressBlock($0) }
    }

    @inline(__always)
    static func hash(_ v: UInt32) -> Int { Int((v &* 2_654_435_761) >> UInt32(32 - hashLog)) }

    static func encode(_ input: UnsafeRawBufferPointer, _ dst: UnsafeMutablePointer<UInt8>) -> Int {
        let n = input.count
        var op = 0
        guard n > 0, let src = input.baseAddress else {
            dst[0] = 0  // one empty literal run
            return 1
        }
        var anchor = 0
        if n >= matchStartLimit + 1 {
            let table = UnsafeMutablePointer<Int32>.allocate(capacity: 1 << hashLog)
            defer { table.deallocate() }
            table.initialize(repeating: -1, count: 1 << hashLog)
            let mflimit = n - matchStartLimit  // last position where a match may start (exclusive)
            let matchEndLimit = n - lastLiterals
            @inline(__always) func read32(_ p: Int) -> UInt32 { src.loadUnaligned(fromByteOffset: p, as: UInt32.self) }
            @inline(__always) func read64(_ p: Int) -> UInt64 { src.loadUnaligned(fromByteOffset: p, as: UInt64.self) }

            var ip = 0
            var searchCount = 1 << 6  // step grows as matches fail (acceleration over incompressible data)
            outer: while ip < mflimit {
                let seq = read32(ip)
                let h = hash(seq)
                let ref = Int(table[h])
                table[h] = Int32(ip)
                guard ref >= 0, ip - ref <= 65535, read32(ref) == seq else {
                    ip += searchCount >> 6
                    searchCount += 1
                    continue
                }
                searchCount = 1 << 6
                var start = ip, mref = ref
                while start > anchor && mref > 0 && src.load(fromByteOffset: start - 1, as: UInt8.self) == src.load(fromByteOffset: mref - 1, as: UInt8.self) {
                    start -= 1
                    mref -= 1
                }
                // Extend forward 8 bytes at a time.
                var end = ip + minMatch
                var r = ref + minMatch
                while end + 8 <= matchEndLimit {
                    let diff = read64(end) ^ read64(r)
                    if diff != 0 {
                        end += diff.trailingZeroBitCount >> 3
                        break
                    }
                    end += 8
                    r += 8
                }
                if end + 8 > matchEndLimit {
                    while end < matchEndLimit && src.load(fromByteOffset: end, as: UInt8.self) == src.load(fromByteOffset: r, as: UInt8.self) {
                        end += 1
                        r += 1
                    }
                }
                if end > matchEndLimit { end = matchEndLimit }
                op = emitSequence(dst, op, src, literalsFrom: anchor, count: start - anchor, offset: start - mref, matchLength: end - start)
                anchor = end
                ip = end
                if ip < mflimit {
                    // Seed the table with a position inside the match to find repeats sooner.
                    table[hash(read32(ip - 2))] = Int32(ip - 2)
                }
                continue outer
            }
        }
        // Last literals.
        let litLen = n - anchor
        op = emitLiteralHeader(dst, op, litLen, matchNibble: 0)
        UnsafeMutableRawPointer(dst + op).copyMemory(from: src + anchor, byteCount: litLen)
        return op + litLen
    }

    @inline(__always)
    static func emitLiteralHeader(_ dst: UnsafeMutablePointer<UInt8>, _ op: Int, _ litLen: Int, matchNibble: Int) -> Int {
        var op = op
        if litLen >= 15 {
            dst[op] = UInt8(15 << 4 | matchNibble)
            op += 1
            var rest = litLen - 15
            while rest >= 255 {
                dst[op] = 255
                op += 1
                rest -= 255
            }
            dst[op] = UInt8(rest)
            op += 1
        } else {
            dst[op] = UInt8(litLen << 4 | matchNibble)
            op += 1
        }
        return op
    }

    @inline(__always)
    static func emitSequence(_ dst: UnsafeMutablePointer<UInt8>, _ op: Int, _ src: UnsafeRawPointer, literalsFrom: Int,
                             count litLen: Int, offset: Int, matchLength: Int) -> Int {
        let ml = matchLength - minMatch
        var op = emitLiteralHeader(dst, op, litLen, matchNibble: min(ml, 15))
        UnsafeMutableRawPointer(dst + op).copyMemory(from: src + literalsFrom, byteCount: litLen)
        op += litLen
        dst[op] = UInt8(truncatingIfNeeded: offset)
        dst[op + 1] = UInt8(truncatingIfNeeded: offset >> 8)
        op += 2
        if ml >= 15 {
            var rest = ml - 15
            while rest >= 255 {
                dst[op] = 255
                op += 1
                rest -= 255
            }
            dst[op] = UInt8(rest)
            op += 1
        }
        return op
    }
}
