// Zstandard frame decoder (RFC 8878). Hot loops work on raw pointers held by a small internal
// state object; every pointer derived from input data is range-checked before use, and output
// writes are checked against the output buffer's capacity (which has `zstdSlack` spare bytes so
// that 16-byte wild copies may run past the logical end).

let zstdMagic: UInt32 = 0xFD2F_B528
let zstdBlockMax = 128 * 1024
/// Spare bytes after the output and literal buffers for wild copies.
let zstdSlack = 32

@inline(__always) func zstdLoad32(_ p: UnsafePointer<UInt8>) -> UInt32 {
    UInt32(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt32.self))
}

@inline(__always) func zstdCopy16(_ dst: UnsafeMutablePointer<UInt8>, _ src: UnsafePointer<UInt8>) {
    let a = UnsafeRawPointer(src).loadUnaligned(as: UInt64.self)
    let b = UnsafeRawPointer(src + 8).loadUnaligned(as: UInt64.self)
    UnsafeMutableRawPointer(dst).storeBytes(of: a, as: UInt64.self)
    UnsafeMutableRawPointer(dst + 8).storeBytes(of: b, as: UInt64.self)
}

/// A parsed frame header.
struct ZstdFrameHeader {
    var headerSize: Int
    var contentSize: UInt64?
    var windowSize: UInt64
    var hasChecksum: Bool
    var dictionaryID: UInt32

    /// Parses the header that follows the magic number.
    static func parse(_ p: UnsafePointer<UInt8>, _ avail: Int) throws(CodecError) -> ZstdFrameHeader {
        guard avail >= 1 else { throw CodecError(.truncated, "zstd: frame header truncated") }
        let fhd = p[0]
        let fcsFlag = Int(fhd >> 6)
        let single = fhd & 0x20 != 0
        guard fhd & 0x08 == 0 else { throw CodecError(.corrupt, "zstd: reserved frame header bit set") }
        let checksum = fhd & 0x04 != 0
        let didSize = [0, 1, 2, 4][Int(fhd & 3)]
        let fcsSize = [single ? 1 : 0, 2, 4, 8][fcsFlag]
        let size = 1 + (single ? 0 : 1) + didSize + fcsSize
        guard avail >= size else { throw CodecError(.truncated, "zstd: frame header truncated") }
        var i = 1
        var window: UInt64 = 0
        if !single {
            let wd = p[i]
            i += 1
            let windowLog = 10 + UInt64(wd >> 3)
            let base: UInt64 = 1 << windowLog
            window = base + (base / 8) * UInt64(wd & 7)
        }
        var did: UInt32 = 0
        for k in 0..<didSize { did |= UInt32(p[i + k]) << (8 * UInt32(k)) }
        i += didSize
        var fcs: UInt64? = nil
        if fcsSize > 0 {
            var v: UInt64 = 0
            for k in 0..<fcsSize { v |= UInt64(p[i + k]) << (8 * UInt64(k)) }
            if fcsSize == 2 { v += 256 }
            fcs = v
        }
        if single { window = fcs ?? 0 }
        return ZstdFrameHeader(headerSize: size, contentSize: fcs, windowSize: window, hasChecksum: checksum,
                               dictionaryID: did)
    }
}

/// Output buffer: either a fixed region (exact total size known up front) or an owned, growable one.
struct ZstdOutput {
    var base: UnsafeMutablePointer<UInt8>
    var count = 0
    var capacity: Int
    let growable: Bool
    /// Hard cap for growth (the smaller of the caller's limit and the frames' upper bound).
    let maxCapacity: Int
    let limit: Int

    /// Makes room for `extra` more bytes (plus slack), or throws.
    mutating func reserve(_ extra: Int) throws(CodecError) {
        let need = count + extra
        if need <= capacity { return }
        if need > limit { throw CodecError(.limitExceeded, "zstd: output exceeds limit of \(limit) bytes") }
        guard growable, need <= maxCapacity else {
            throw CodecError(.corrupt, "zstd: output exceeds the declared content size")
        }
        let newCap = min(max(need, capacity * 2), maxCapacity)
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap + zstdSlack)
        nb.update(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = newCap
    }
}

/// Per-call decoder state: entropy tables, repeat offsets and the literal buffer.
final class ZstdDecoderState {
    /// The three sequence tables in one allocation (literal lengths, offsets, match lengths; 512 states
    /// each) so that the sequence loop needs a single base register.
    let seqTables = UnsafeMutablePointer<ZstdSeqEntry>.allocate(capacity: 3 * 512)
    var llTable: UnsafeMutablePointer<ZstdSeqEntry> { seqTables }
    var ofTable: UnsafeMutablePointer<ZstdSeqEntry> { seqTables + 512 }
    var mlTable: UnsafeMutablePointer<ZstdSeqEntry> { seqTables + 1024 }
    var llLog = 0, ofLog = 0, mlLog = 0
    var llReady = false, ofReady = false, mlReady = false
    /// Huffman decoding table: symbol in the low byte, code length in the high byte.
    let huf = UnsafeMutablePointer<UInt16>.allocate(capacity: 4096)
    var hufLog = 0
    var hufReady = false
    let weights = UnsafeMutablePointer<UInt8>.allocate(capacity: 260)
    var lit: UnsafeMutablePointer<UInt8>
    var litCapacity = 0
    var rep1 = 1, rep2 = 4, rep3 = 8

    init() {
        lit = UnsafeMutablePointer<UInt8>.allocate(capacity: zstdSlack)
    }

    deinit {
        seqTables.deallocate()
        huf.deallocate(); weights.deallocate(); lit.deallocate()
    }

    func resetFrame() {
        llReady = false; ofReady = false; mlReady = false
        hufReady = false
        rep1 = 1; rep2 = 4; rep3 = 8
    }

    func ensureLiterals(_ n: Int) {
        if n <= litCapacity { return }
        lit.deallocate()
        litCapacity = max(n, min(zstdBlockMax, n * 2))
        lit = UnsafeMutablePointer<UInt8>.allocate(capacity: litCapacity + zstdSlack)
    }

    func setLoaded(_ kind: ZstdSeqKind, log: Int) {
        switch kind {
        case .literalLength: llLog = log; llReady = true
        case .offset: ofLog = log; ofReady = true
        case .matchLength: mlLog = log; mlReady = true
        }
    }

    func isReady(_ kind: ZstdSeqKind) -> Bool {
        switch kind {
        case .literalLength: llReady
        case .offset: ofReady
        case .matchLength: mlReady
        }
    }

    func table(_ kind: ZstdSeqKind) -> UnsafeMutablePointer<ZstdSeqEntry> {
        switch kind {
        case .literalLength: llTable
        case .offset: ofTable
        case .matchLength: mlTable
        }
    }
}

enum ZstdDecoder {
    /// Walks all frames without decoding them: returns the sum of the declared content sizes (nil if
    /// some frame does not declare one) and an upper bound on the total output.
    static func scan(_ src: UnsafePointer<UInt8>, _ n: Int, limit: Int) throws(CodecError) -> (exact: Int?, bound: Int) {
        guard n > 0 else { throw CodecError(.truncated, "zstd: empty input") }
        var pos = 0
        var exact: Int? = 0
        var bound = 0
        while pos < n {
            guard n - pos >= 4 else { throw CodecError(.truncated, "zstd: trailing bytes after frame", offset: pos) }
            let magic = zstdLoad32(src + pos)
            if magic == zstdMagic {
                pos += 4
                let h = try ZstdFrameHeader.parse(src + pos, n - pos)
                pos += h.headerSize
                var frameBound = 0
                while true {
                    guard n - pos >= 3 else { throw CodecError(.truncated, "zstd: block header truncated", offset: pos) }
                    let bh = Int(src[pos]) | Int(src[pos + 1]) << 8 | Int(src[pos + 2]) << 16
                    pos += 3
                    let size = bh >> 3
                    guard size <= zstdBlockMax else { throw CodecError(.corrupt, "zstd: block too large", offset: pos) }
                    switch (bh >> 1) & 3 {
                    case 0: frameBound += size; pos += size
                    case 1: frameBound += size; pos += 1
                    case 2: frameBound += zstdBlockMax; pos += size
                    default: throw CodecError(.corrupt, "zstd: reserved block type", offset: pos - 3)
                    }
                    guard pos <= n else { throw CodecError(.truncated, "zstd: block truncated") }
                    if bh & 1 != 0 { break }
                }
                if h.hasChecksum { pos += 4 }
                guard pos <= n else { throw CodecError(.truncated, "zstd: checksum truncated") }
                bound = min(bound + frameBound, Int.max / 4)
                if let fcs = h.contentSize {
                    guard fcs <= UInt64(frameBound) else {
                        throw CodecError(.corrupt, "zstd: declared content size \(fcs) larger than the frame can hold")
                    }
                    guard fcs <= UInt64(limit) else {
                        throw CodecError(.limitExceeded, "zstd: content size \(fcs) exceeds limit \(limit)")
                    }
                    if let e = exact {
                        let t = e + Int(fcs)
                        guard t <= limit else {
                            throw CodecError(.limitExceeded, "zstd: content size exceeds limit \(limit)")
                        }
                        exact = t
                    }
                } else {
                    exact = nil
                }
            } else if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                guard n - pos >= 8 else { throw CodecError(.truncated, "zstd: skippable frame truncated", offset: pos) }
                let size = Int(zstdLoad32(src + pos + 4))
                guard size <= n - pos - 8 else { throw CodecError(.truncated, "zstd: skippable frame truncated", offset: pos) }
                pos += 8 + size
            } else {
                throw CodecError(.corrupt, "zstd: unknown frame magic", offset: pos)
            }
        }
        return (exact, bound)
    }

    /// Decodes every frame of `src` into `out`.
    static func decodeFrames(_ src: UnsafePointer<UInt8>, _ n: Int, _ out: inout ZstdOutput,
                             _ st: ZstdDecoderState) throws(CodecError)
    {
        var pos = 0
        while pos < n {
            guard n - pos >= 4 else { throw CodecError(.truncated, "zstd: trailing bytes after frame", offset: pos) }
            let magic = zstdLoad32(src + pos)
            if magic == zstdMagic {
                pos += 4
                try decodeFrame(src, n, &pos, &out, st)
            } else if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                guard n - pos >= 8 else { throw CodecError(.truncated, "zstd: skippable frame truncated", offset: pos) }
                let size = Int(zstdLoad32(src + pos + 4))
                guard size <= n - pos - 8 else { throw CodecError(.truncated, "zstd: skippable frame truncated", offset: pos) }
                pos += 8 + size
            } else {
                throw CodecError(.corrupt, "zstd: unknown frame magic", offset: pos)
            }
        }
    }

    static func decodeFrame(_ src: UnsafePointer<UInt8>, _ n: Int, _ pos: inout Int, _ out: inout ZstdOutput,
                            _ st: ZstdDecoderState) throws(CodecError)
    {
        let h = try ZstdFrameHeader.parse(src + pos, n - pos)
        guard h.dictionaryID == 0 else {
            throw CodecError(.unsupported, "zstd: frame needs dictionary \(h.dictionaryID)", offset: pos)
        }
        pos += h.headerSize
        st.resetFrame()
        let frameStart = out.count
        // The checksum is computed block by block, while the block's output is still in cache.
        var hasher: XXHash64.Hasher? = h.hasChecksum ? XXHash64.Hasher() : nil
        while true {
            let blockStart = out.count
            defer {
                if hasher != nil {
                    hasher!.update(UnsafeRawBufferPointer(start: out.base + blockStart, count: out.count - blockStart))
                }
            }
            guard n - pos >= 3 else { throw CodecError(.truncated, "zstd: block header truncated", offset: pos) }
            let bh = Int(src[pos]) | Int(src[pos + 1]) << 8 | Int(src[pos + 2]) << 16
            pos += 3
            let size = bh >> 3
            guard size <= zstdBlockMax else { throw CodecError(.corrupt, "zstd: block too large", offset: pos - 3) }
            switch (bh >> 1) & 3 {
            case 0:
                guard size <= n - pos else { throw CodecError(.truncated, "zstd: raw block truncated", offset: pos) }
                try out.reserve(size)
                (out.base + out.count).update(from: src + pos, count: size)
                out.count += size
                pos += size
            case 1:
                guard n - pos >= 1 else { throw CodecError(.truncated, "zstd: RLE block truncated", offset: pos) }
                try out.reserve(size)
                (out.base + out.count).update(repeating: src[pos], count: size)
                out.count += size
                pos += 1
            case 2:
                guard size <= n - pos else { throw CodecError(.truncated, "zstd: compressed block truncated", offset: pos) }
                do {
                    try decodeCompressedBlock(src + pos, size, &out, frameStart: frameStart, st)
                } catch {
                    var e = error
                    if e.offset == nil { e.offset = pos }
                    throw e
                }
                pos += size
            default:
                throw CodecError(.corrupt, "zstd: reserved block type", offset: pos - 3)
            }
            if bh & 1 != 0 { break }
        }
        let produced = out.count - frameStart
        if let fcs = h.contentSize, UInt64(produced) != fcs {
            throw CodecError(.corrupt, "zstd: frame produced \(produced) bytes, header declared \(fcs)")
        }
        if h.hasChecksum {
            guard n - pos >= 4 else { throw CodecError(.truncated, "zstd: checksum truncated", offset: pos) }
            let want = zstdLoad32(src + pos)
            let got = UInt32(truncatingIfNeeded: hasher?.finalize() ?? 0)
            guard want == got else { throw CodecError(.corrupt, "zstd: content checksum mismatch", offset: pos) }
            pos += 4
        }
    }

    // MARK: - Compressed blocks

    static func decodeCompressedBlock(_ src: UnsafePointer<UInt8>, _ size: Int, _ out: inout ZstdOutput,
                                      frameStart: Int, _ st: ZstdDecoderState) throws(CodecError)
    {
        let litUsed = try decodeLiterals(src, size, st)
        let litCount = litUsed.count
        var ip = litUsed.used
        guard ip < size else { throw CodecError(.truncated, "zstd: sequences section missing") }
        let b0 = Int(src[ip])
        var nbSeq: Int
        if b0 < 128 {
            nbSeq = b0
            ip += 1
        } else if b0 < 255 {
            guard size - ip >= 2 else { throw CodecError(.truncated, "zstd: sequence count truncated") }
            nbSeq = ((b0 - 128) << 8) + Int(src[ip + 1])
            ip += 2
        } else {
            guard size - ip >= 3 else { throw CodecError(.truncated, "zstd: sequence count truncated") }
            nbSeq = Int(src[ip + 1]) + (Int(src[ip + 2]) << 8) + 0x7F00
            ip += 3
        }
        if nbSeq == 0 {
            guard ip == size else { throw CodecError(.corrupt, "zstd: extra bytes after empty sequences section") }
            try out.reserve(litCount)
            (out.base + out.count).update(from: st.lit, count: litCount)
            out.count += litCount
            return
        }
        guard ip < size else { throw CodecError(.truncated, "zstd: compression modes missing") }
        let modes = Int(src[ip])
        ip += 1
        guard modes & 3 == 0 else { throw CodecError(.corrupt, "zstd: reserved compression mode bits set") }
        ip += try loadSeqTable(.literalLength, mode: modes >> 6, src + ip, size - ip, st)
        ip += try loadSeqTable(.offset, mode: (modes >> 4) & 3, src + ip, size - ip, st)
        ip += try loadSeqTable(.matchLength, mode: (modes >> 2) & 3, src + ip, size - ip, st)
        guard ip < size else { throw CodecError(.truncated, "zstd: sequence bitstream missing") }
        try executeSequences(src + ip, size - ip, nbSeq: nbSeq, litCount: litCount, &out, frameStart: frameStart, st)
    }

    /// Loads the decoding table for one sequence code; returns the bytes consumed.
    static func loadSeqTable(_ kind: ZstdSeqKind, mode: Int, _ src: UnsafePointer<UInt8>, _ avail: Int,
                             _ st: ZstdDecoderState) throws(CodecError) -> Int
    {
        let dst = st.table(kind)
        switch mode {
        case 0:
            let t = kind.predefined
            for i in 0..<t.count { dst[i] = t[i] }
            st.setLoaded(kind, log: kind.defaultLog)
            return 0
        case 1:
            guard avail >= 1 else { throw CodecError(.truncated, "zstd: RLE sequence code missing") }
            let s = Int(src[0])
            guard s <= kind.maxSymbol else { throw CodecError(.corrupt, "zstd: RLE sequence code out of range") }
            dst[0] = kind.entry(symbol: s, nbBits: 0, nextState: 0)
            st.setLoaded(kind, log: 0)
            return 1
        case 2:
            let (counts, log, used) = try ZstdFSE.readCounts(src, avail, maxSymbol: kind.maxSymbol, maxLog: kind.maxLog)
            let fse = try ZstdFSE.buildTable(counts, log: log)
            for i in 0..<fse.count {
                dst[i] = kind.entry(symbol: Int(fse[i].symbol), nbBits: Int(fse[i].nbBits), nextState: Int(fse[i].baseline))
            }
            st.setLoaded(kind, log: log)
            return used
        default:
            guard st.isReady(kind) else { throw CodecError(.corrupt, "zstd: repeat mode without a previous table") }
            return 0
        }
    }

    // MARK: - Literals

    /// Decodes the literals section into `st.lit`; returns the literal count and bytes used.
    static func decodeLiterals(_ src: UnsafePointer<UInt8>, _ size: Int, _ st: ZstdDecoderState)
        throws(CodecError) -> (count: Int, used: Int)
    {
        guard size >= 1 else { throw CodecError(.truncated, "zstd: literals section missing") }
        let b0 = Int(src[0])
        let type = b0 & 3
        let sf = (b0 >> 2) & 3
        if type < 2 {
            var regen: Int
            var hs: Int
            switch sf {
            case 1:
                guard size >= 2 else { throw CodecError(.truncated, "zstd: literals header truncated") }
                regen = (b0 >> 4) + (Int(src[1]) << 4)
                hs = 2
            case 3:
                guard size >= 3 else { throw CodecError(.truncated, "zstd: literals header truncated") }
                regen = (b0 >> 4) + (Int(src[1]) << 4) + (Int(src[2]) << 12)
                hs = 3
            default:
                regen = b0 >> 3
                hs = 1
            }
            guard regen <= zstdBlockMax else { throw CodecError(.corrupt, "zstd: too many literals") }
            st.ensureLiterals(regen)
            if type == 0 {
                guard size - hs >= regen else { throw CodecError(.truncated, "zstd: raw literals truncated") }
                st.lit.update(from: src + hs, count: regen)
                return (regen, hs + regen)
            } else {
                guard size - hs >= 1 else { throw CodecError(.truncated, "zstd: RLE literal missing") }
                st.lit.update(repeating: src[hs], count: regen)
                return (regen, hs + 1)
            }
        }
        var regen: Int
        var comp: Int
        var hs: Int
        let fourStreams = sf != 0
        switch sf {
        case 0, 1:
            guard size >= 3 else { throw CodecError(.truncated, "zstd: literals header truncated") }
            let h = b0 | Int(src[1]) << 8 | Int(src[2]) << 16
            regen = (h >> 4) & 0x3FF
            comp = (h >> 14) & 0x3FF
            hs = 3
        case 2:
            guard size >= 4 else { throw CodecError(.truncated, "zstd: literals header truncated") }
            let h = b0 | Int(src[1]) << 8 | Int(src[2]) << 16 | Int(src[3]) << 24
            regen = (h >> 4) & 0x3FFF
            comp = (h >> 18) & 0x3FFF
            hs = 4
        default:
            guard size >= 5 else { throw CodecError(.truncated, "zstd: literals header truncated") }
            let h = b0 | Int(src[1]) << 8 | Int(src[2]) << 16 | Int(src[3]) << 24 | Int(src[4]) << 32
            regen = (h >> 4) & 0x3FFFF
            comp = (h >> 22) & 0x3FFFF
            hs = 5
        }
        guard regen <= zstdBlockMax else { throw CodecError(.corrupt, "zstd: too many literals") }
        guard size - hs >= comp else { throw CodecError(.truncated, "zstd: compressed literals truncated") }
        var p = src + hs
        var avail = comp
        if type == 2 {
            let used = try readHuffmanTable(p, avail, st)
            p += used
            avail -= used
        } else {
            guard st.hufReady else { throw CodecError(.corrupt, "zstd: treeless literals without a previous table") }
        }
        st.ensureLiterals(regen)
        if fourStreams {
            try decodeHuffman4(p, avail, regen, st)
        } else {
            try decodeHuffman1(p, avail, st.lit, regen, st)
        }
        return (regen, hs + comp)
    }

    /// Reads a Huffman tree description and builds `st.huf`; returns the bytes used.
    static func readHuffmanTable(_ src: UnsafePointer<UInt8>, _ size: Int, _ st: ZstdDecoderState) throws(CodecError) -> Int {
        guard size >= 1 else { throw CodecError(.truncated, "zstd: Huffman tree missing") }
        let h = Int(src[0])
        let w = st.weights
        var nw: Int
        let used: Int
        if h < 128 {
            guard h >= 1, size - 1 >= h else { throw CodecError(.truncated, "zstd: Huffman weights truncated") }
            nw = try decodeWeightsFSE(src + 1, h, w)
            used = 1 + h
        } else {
            nw = h - 127
            let bytes = (nw + 1) / 2
            guard size - 1 >= bytes else { throw CodecError(.truncated, "zstd: Huffman weights truncated") }
            for i in 0..<nw {
                let b = src[1 + i / 2]
                w[i] = i & 1 == 0 ? b >> 4 : b & 15
            }
            used = 1 + bytes
        }
        var total = 0
        for i in 0..<nw {
            let x = Int(w[i])
            guard x <= 12 else { throw CodecError(.corrupt, "zstd: Huffman weight too large") }
            if x > 0 { total += 1 << (x - 1) }
        }
        guard total > 0 else { throw CodecError(.corrupt, "zstd: Huffman weights all zero") }
        let maxBits = zstdHighBit(total) + 1
        guard maxBits <= 12 else { throw CodecError(.corrupt, "zstd: Huffman code too long") }
        let rest = (1 << maxBits) - total
        guard rest & (rest - 1) == 0 else { throw CodecError(.corrupt, "zstd: Huffman weights do not complete a tree") }
        w[nw] = UInt8(zstdHighBit(rest) + 1)
        nw += 1
        var pos = 0
        for weight in 1...maxBits {
            let len = 1 << (weight - 1)
            let entry = UInt16(maxBits + 1 - weight) << 8
            for s in 0..<nw where Int(w[s]) == weight {
                (st.huf + pos).update(repeating: entry | UInt16(s), count: len)
                pos += len
            }
        }
        st.hufLog = maxBits
        st.hufReady = true
        return used
    }

    /// Decodes FSE-compressed Huffman weights (two interleaved states); returns the weight count.
    static func decodeWeightsFSE(_ src: UnsafePointer<UInt8>, _ size: Int, _ w: UnsafeMutablePointer<UInt8>) throws(CodecError) -> Int {
        let (counts, log, used) = try ZstdFSE.readCounts(src, size, maxSymbol: 255, maxLog: 6)
        let t = try ZstdFSE.buildTable(counts, log: log)
        guard used < size else { throw CodecError(.truncated, "zstd: Huffman weight stream missing") }
        var br = try ZstdBitReader(src + used, count: size - used)
        var s1 = Int(br.read(log))
        var s2 = Int(br.read(log))
        br.reload()
        var n = 0
        let maxOut = 255
        while true {
            guard n < maxOut else { throw CodecError(.corrupt, "zstd: too many Huffman weights") }
            w[n] = t[s1].symbol; n += 1
            s1 = Int(t[s1].baseline) + Int(br.read(Int(t[s1].nbBits)))
            br.reload()
            if br.overflowed {
                guard n < maxOut else { throw CodecError(.corrupt, "zstd: too many Huffman weights") }
                w[n] = t[s2].symbol; n += 1
                break
            }
            guard n < maxOut else { throw CodecError(.corrupt, "zstd: too many Huffman weights") }
            w[n] = t[s2].symbol; n += 1
            s2 = Int(t[s2].baseline) + Int(br.read(Int(t[s2].nbBits)))
            br.reload()
            if br.overflowed {
                guard n < maxOut else { throw CodecError(.corrupt, "zstd: too many Huffman weights") }
                w[n] = t[s1].symbol; n += 1
                break
            }
        }
        return n
    }

    @inline(__always) static func hufDecode(_ br: inout ZstdBitReader, _ table: UnsafePointer<UInt16>, _ log: Int) -> UInt8 {
        let e = table[br.peek(log)]
        br.skip(Int(e &>> 8))
        return UInt8(truncatingIfNeeded: e)
    }

    static func decodeHuffman1(_ src: UnsafePointer<UInt8>, _ size: Int, _ dst: UnsafeMutablePointer<UInt8>, _ count: Int,
                               _ st: ZstdDecoderState) throws(CodecError)
    {
        var br = try ZstdBitReader(src, count: size)
        let table = UnsafePointer(st.huf)
        let log = st.hufLog
        var i = 0
        while count - i >= 4 {
            br.reload()
            dst[i] = hufDecode(&br, table, log)
            dst[i &+ 1] = hufDecode(&br, table, log)
            dst[i &+ 2] = hufDecode(&br, table, log)
            dst[i &+ 3] = hufDecode(&br, table, log)
            i &+= 4
        }
        while i < count {
            br.reload()
            dst[i] = hufDecode(&br, table, log)
            i &+= 1
        }
        guard br.isExactlyConsumed() else { throw CodecError(.corrupt, "zstd: Huffman stream not fully consumed") }
    }

    static func decodeHuffman4(_ src: UnsafePointer<UInt8>, _ size: Int, _ count: Int, _ st: ZstdDecoderState) throws(CodecError) {
        guard size >= 6 else { throw CodecError(.truncated, "zstd: Huffman jump table truncated") }
        let s1 = Int(src[0]) | Int(src[1]) << 8
        let s2 = Int(src[2]) | Int(src[3]) << 8
        let s3 = Int(src[4]) | Int(src[5]) << 8
        let s4 = size - 6 - s1 - s2 - s3
        guard s4 >= 1 else { throw CodecError(.corrupt, "zstd: Huffman stream sizes exceed the section") }
        let seg = (count + 3) / 4
        let last = count - 3 * seg
        guard last >= 0 else { throw CodecError(.corrupt, "zstd: too few literals for four streams") }
        let p1 = src + 6, p2 = p1 + s1, p3 = p2 + s2, p4 = p3 + s3
        var b1 = try ZstdBitReader(p1, count: s1)
        var b2 = try ZstdBitReader(p2, count: s2)
        var b3 = try ZstdBitReader(p3, count: s3)
        var b4 = try ZstdBitReader(p4, count: s4)
        let table = UnsafePointer(st.huf)
        let log = st.hufLog
        let o1 = st.lit, o2 = o1 + seg, o3 = o2 + seg, o4 = o3 + seg
        var i = 0
        while last - i >= 4 {
            b1.reload(); b2.reload(); b3.reload(); b4.reload()
            for k in 0..<4 {
                o1[i &+ k] = hufDecode(&b1, table, log)
                o2[i &+ k] = hufDecode(&b2, table, log)
                o3[i &+ k] = hufDecode(&b3, table, log)
                o4[i &+ k] = hufDecode(&b4, table, log)
            }
            i &+= 4
        }
        func tail(_ br: inout ZstdBitReader, _ o: UnsafeMutablePointer<UInt8>, from: Int, to: Int) -> Bool {
            var j = from
            while j < to {
                br.reload()
                o[j] = hufDecode(&br, table, log)
                j &+= 1
            }
            return br.isExactlyConsumed()
        }
        guard tail(&b1, o1, from: i, to: seg), tail(&b2, o2, from: i, to: seg), tail(&b3, o3, from: i, to: seg),
              tail(&b4, o4, from: i, to: last)
        else { throw CodecError(.corrupt, "zstd: Huffman stream not fully consumed") }
    }

    // MARK: - Sequences

    /// Copies `length` bytes from `offset` bytes back (the regions may overlap: the result repeats the
    /// last `offset` bytes). May write up to 15 bytes past `op + length`, which the caller provides.
    /// Requires `1 <= offset` and `offset` bytes before `op` to be readable.
    @inline(__always) static func copyMatch(_ op: UnsafeMutablePointer<UInt8>, offset: Int, length mlen: Int) {
        let e = op + mlen
        if offset >= 16 {
            var d = op
            repeat { zstdCopy16(d, d - offset); d += 16 } while d < e
        } else {
            let n = mlen < 16 ? mlen : 16
            var k = 0
            while k < n { op[k] = op[k &- offset]; k &+= 1 }
            if mlen > 16 {
                // Any multiple of the period that is at least 16 is a valid, non-overlapping distance.
                let dist = offset * ((16 + offset - 1) / offset)
                var d = op + 16
                repeat { zstdCopy16(d, d - dist); d += 16 } while d < e
            }
        }
    }

    /// Plain reference for `copyMatch`: one byte at a time, exactly as the format defines a match.
    static func copyMatchReference(_ out: inout [UInt8], offset: Int, length: Int) {
        for _ in 0..<length { out.append(out[out.count - offset]) }
    }

    static func executeSequences(_ src: UnsafePointer<UInt8>, _ size: Int, nbSeq: Int, litCount: Int,
                                 _ out: inout ZstdOutput, frameStart: Int, _ st: ZstdDecoderState) throws(CodecError)
    {
        var br = try ZstdBitReader(src, count: size)
        let tables = UnsafePointer(st.seqTables)
        // States are kept as indices into `tables` (offset and match-length tables start at 512 and 1024).
        var llS = Int(br.read(st.llLog))
        var ofS = Int(br.read(st.ofLog)) &+ 512
        var mlS = Int(br.read(st.mlLog)) &+ 1024
        br.reload()
        var r1 = st.rep1, r2 = st.rep2, r3 = st.rep3
        var litPtr = UnsafePointer(st.lit)
        let litEnd = litPtr + litCount
        let blockStart = out.count
        var op = out.base + out.count
        var oend = out.base + out.capacity
        var prefixStart = out.base + frameStart
        var remaining = nbSeq
        while remaining > 0 {
            remaining &-= 1
            let of = tables[ofS], ml = tables[mlS], ll = tables[llS]
            let ofBits = Int(of.addBits), mlBits = Int(ml.addBits), llBits = Int(ll.addBits)
            // After a reload at least 57 bits are available: enough for extra bits totalling ≤ 31
            // plus the three state updates (≤ 9 + 9 + 8). Longer extras take extra reloads.
            let offValue: Int, mlen: Int, llen: Int
            if ofBits &+ mlBits &+ llBits <= 31 {
                offValue = Int(of.baseValue) &+ Int(truncatingIfNeeded: br.read(ofBits))
                mlen = Int(ml.baseValue) &+ Int(truncatingIfNeeded: br.read(mlBits))
                llen = Int(ll.baseValue) &+ Int(truncatingIfNeeded: br.read(llBits))
            } else {
                offValue = Int(of.baseValue) &+ Int(truncatingIfNeeded: br.read(ofBits))
                br.reload()
                mlen = Int(ml.baseValue) &+ Int(truncatingIfNeeded: br.read(mlBits))
                llen = Int(ll.baseValue) &+ Int(truncatingIfNeeded: br.read(llBits))
                br.reload()
            }
            if remaining > 0 {
                llS = Int(ll.nextState) &+ Int(truncatingIfNeeded: br.read(Int(ll.nbBits)))
                mlS = Int(ml.nextState) &+ Int(truncatingIfNeeded: br.read(Int(ml.nbBits))) &+ 1024
                ofS = Int(of.nextState) &+ Int(truncatingIfNeeded: br.read(Int(of.nbBits))) &+ 512
            }
            br.reload()
            var offset: Int
            if ofBits > 1 {
                offset = offValue &- 3
                r3 = r2; r2 = r1; r1 = offset
            } else {
                let idx = offValue &- 1 &+ (llen == 0 ? 1 : 0)
                if idx == 0 {
                    offset = r1
                } else {
                    offset = idx == 1 ? r2 : (idx == 2 ? r3 : r1 &- 1)
                    guard offset > 0 else { throw CodecError(.corrupt, "zstd: zero repeat offset") }
                    if idx != 1 { r3 = r2 }
                    r2 = r1
                    r1 = offset
                }
            }
            guard llen <= litEnd - litPtr else { throw CodecError(.corrupt, "zstd: sequence uses more literals than decoded") }
            let total = llen &+ mlen
            if total > oend - op {
                let written = op - out.base
                guard written - blockStart + total <= zstdBlockMax else {
                    throw CodecError(.corrupt, "zstd: block output exceeds 128 KiB")
                }
                out.count = written
                try out.reserve(total)
                op = out.base + written
                oend = out.base + out.capacity
                prefixStart = out.base + frameStart
            }
            guard offset <= (op - prefixStart) &+ llen else { throw CodecError(.corrupt, "zstd: match offset before frame start") }
            // Literals (16-byte wild copy; both buffers have slack).
            if llen > 0 {
                var d = op, s = litPtr
                let e = op + llen
                repeat { zstdCopy16(d, s); d += 16; s += 16 } while d < e
                op = e
                litPtr += llen
            }
            copyMatch(op, offset: offset, length: mlen)
            op += mlen
        }
        guard br.isExactlyConsumed() else { throw CodecError(.corrupt, "zstd: sequence bitstream not fully consumed") }
        out.count = op - out.base
        let rest = litEnd - litPtr
        try out.reserve(rest)
        (out.base + out.count).update(from: litPtr, count: rest)
        out.count += rest
        guard out.count - blockStart <= zstdBlockMax else { throw CodecError(.corrupt, "zstd: block output exceeds 128 KiB") }
        st.rep1 = r1; st.rep2 = r2; st.rep3 = r3
    }
}
