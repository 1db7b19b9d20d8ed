// Zstandard encoder: a hash-chain LZ77 match finder feeding compressed blocks whose literals are raw
// or RLE and whose sequences use the predefined FSE tables; raw and RLE blocks where they are smaller.
//
// `level` chooses the match search effort only (≤ 0: single probe and faster skipping; 1–2: short
// chains; 3–8: medium; ≥ 9: long chains with lazy matching). It does not change the format features.

extension Zstd {
    /// Compresses `input` into one frame. The content size is always written; an XXH64 content
    /// checksum is appended when `checksum` is true.
    public static func compress(_ input: UnsafeRawBufferPointer, level: Int, checksum: Bool) -> [UInt8] {
        var enc = ZstdEncoder(input, level: level)
        return enc.frame(checksum: checksum)
    }
}

/// Forward bit writer: bits are appended least significant first; the decoder reads them back to front.
struct ZstdBitWriter {
    var bytes: [UInt8] = []
    var acc: UInt64 = 0
    var count = 0

    @inline(__always) mutating func add(_ value: Int, _ n: Int) {
        if n == 0 { return }
        acc |= (UInt64(truncatingIfNeeded: value) & ((1 << UInt64(n)) - 1)) << UInt64(count)
        count += n
        if count >= 32 { flush() }
    }

    mutating func flush() {
        while count >= 8 {
            bytes.append(UInt8(truncatingIfNeeded: acc))
            acc >>= 8
            count -= 8
        }
    }

    /// Appends the end mark and pads to a byte boundary.
    mutating func finish() -> [UInt8] {
        add(1, 1)
        flush()
        if count > 0 { bytes.append(UInt8(truncatingIfNeeded: acc)); acc = 0; count = 0 }
        return bytes
    }
}

/// Encoding side of one predefined FSE table.
struct ZstdFSEEncoder {
    let log: Int
    let counts: [Int]
    /// For each symbol, its decoder states in ascending order.
    let states: [[Int]]

    init(_ normalized: [Int16], log: Int) {
        self.log = log
        counts = normalized.map { $0 == -1 ? 1 : Int($0) }
        let table = (try? ZstdFSE.buildTable(normalized, log: log)) ?? []
        var st = [[Int]](repeating: [], count: normalized.count)
        for (u, e) in table.enumerated() { st[Int(e.symbol)].append(u) }
        states = st
    }

    /// The encoder state (in [T, 2T)) for a stream whose last symbol is `s`.
    func initial(_ s: Int) -> Int { states[s][0] + (1 << log) }

    @inline(__always) func encode(_ s: Int, _ state: inout Int, _ w: inout ZstdBitWriter) {
        let p = counts[s]
        var nb = log - zstdHighBit(p)
        if (state >> nb) < p { nb -= 1 }
        w.add(state, nb)
        let k = state >> nb
        state = states[s][k - p] + (1 << log)
    }

    func flush(_ state: Int, _ w: inout ZstdBitWriter) { w.add(state - (1 << log), log) }
}

struct ZstdSequence {
    var litLength: Int
    var matchLength: Int
    var offsetValue: Int
}

struct ZstdEncoder {
    static let llEncoder = ZstdFSEEncoder(ZstdTables.llDefault, log: 6)
    static let mlEncoder = ZstdFSEEncoder(ZstdTables.mlDefault, log: 6)
    static let ofEncoder = ZstdFSEEncoder(ZstdTables.ofDefault, log: 5)
    static let llCodeTable: [UInt8] = (0..<64).map { v in UInt8(ZstdTables.llBase.lastIndex { $0 <= UInt32(v) }!) }
    static let mlCodeTable: [UInt8] = (0..<128).map { v in UInt8(ZstdTables.mlBase.lastIndex { $0 <= UInt32(v + 3) }!) }
    static let minMatch = 4
    static let windowLog = 23

    let src: UnsafePointer<UInt8>
    let n: Int
    let depth: Int
    let lazy: Bool
    let skipShift: Int
    let hashLog: Int
    var head: [Int32]
    var chain: [Int32]
    let chainMask: Int
    let maxDistance: Int
    var rep1 = 1, rep2 = 4, rep3 = 8
    var out: [UInt8] = []
    /// Owns a copy when the caller's buffer is empty (so `src` is always valid).
    let empty = UnsafeMutablePointer<UInt8>.allocate(capacity: 8)

    init(_ input: UnsafeRawBufferPointer, level: Int) {
        n = input.count
        src = input.baseAddress.map { UnsafePointer($0.assumingMemoryBound(to: UInt8.self)) } ?? UnsafePointer(empty)
        switch level {
        case ..<1: depth = 1; lazy = false; skipShift = 4
        case 1...2: depth = 2; lazy = false; skipShift = 6
        case 3...8: depth = 8; lazy = false; skipShift = 7
        case 9...15: depth = 32; lazy = true; skipShift = 8
        default: depth = 128; lazy = true; skipShift = 9
        }
        maxDistance = 1 << Self.windowLog
        var hl = 10
        while hl < 18 && (1 << hl) < n { hl += 1 }
        hashLog = hl
        head = [Int32](repeating: -1, count: 1 << hl)
        var cs = 1
        if depth > 1 { while cs < min(n, maxDistance) { cs <<= 1 } }
        chain = [Int32](repeating: -1, count: cs)
        chainMask = cs - 1
    }

    // MARK: Frame

    mutating func frame(checksum: Bool) -> [UInt8] {
        defer { empty.deallocate() }
        out.reserveCapacity(n / 2 + 64)
        out += [0x28, 0xB5, 0x2F, 0xFD]
        let single = n <= maxDistance
        let fcsFlag: Int
        if single && n < 256 { fcsFlag = 0 } else if n < 65536 + 256 && n >= 256 { fcsFlag = 1 }
        else if n <= 0xFFFF_FFFF { fcsFlag = 2 } else { fcsFlag = 3 }
        out.append(UInt8(fcsFlag << 6 | (single ? 0x20 : 0) | (checksum ? 0x04 : 0)))
        if !single { out.append(UInt8((Self.windowLog - 10) << 3)) }
        switch fcsFlag {
        case 0: out.append(UInt8(n))
        case 1: appendLE(n - 256, 2)
        case 2: appendLE(n, 4)
        default: appendLE(n, 8)
        }
        var pos = 0
        repeat {
            let end = min(pos + zstdBlockMax, n)
            block(pos, end, last: end == n)
            pos = end
        } while pos < n
        if checksum {
            let h = XXHash64.hash(UnsafeRawBufferPointer(start: src, count: n))
            appendLE(Int(h & 0xFFFF_FFFF), 4)
        }
        return out
    }

    mutating func appendLE(_ v: Int, _ bytes: Int) {
        for i in 0..<bytes { out.append(UInt8(truncatingIfNeeded: v >> (8 * i))) }
    }

    mutating func blockHeader(last: Bool, type: Int, size: Int) {
        appendLE((last ? 1 : 0) | type << 1 | size << 3, 3)
    }

    mutating func block(_ start: Int, _ end: Int, last: Bool) {
        let size = end - start
        if size > 16 {
            let b = src[start]
            var same = true
            for i in start..<end where src[i] != b { same = false; break }
            if same {
                blockHeader(last: last, type: 1, size: size)
                out.append(b)
                insertRange(max(start, end - 8), end)
                return
            }
        }
        let saved = (rep1, rep2, rep3)
        if size >= 8, let body = compressedBlock(start, end), body.count < size {
            blockHeader(last: last, type: 2, size: body.count)
            out += body
            return
        }
        (rep1, rep2, rep3) = saved
        blockHeader(last: last, type: 0, size: size)
        out.append(contentsOf: UnsafeBufferPointer(start: src + start, count: size))
    }

    // MARK: Match finding

    @inline(__always) func read32(_ i: Int) -> UInt32 { UnsafeRawPointer(src + i).loadUnaligned(as: UInt32.self) }

    @inline(__always) func hash(_ i: Int) -> Int {
        Int((read32(i) &* 2_654_435_761) >> UInt32(32 - hashLog))
    }

    @inline(__always) mutating func insert(_ i: Int) {
        let h = hash(i)
        if chainMask > 0 { chain[i & chainMask] = head[h] }
        head[h] = Int32(i)
    }

    mutating func insertRange(_ from: Int, _ to: Int) {
        var i = from
        while i < to && i + 4 <= n { insert(i); i += 1 }
    }

    /// Length of the common prefix of positions `a` < `b`, not running past `end`.
    @inline(__always) func matchLength(_ a: Int, _ b: Int, _ end: Int) -> Int {
        var l = 0
        while b + l + 8 <= end {
            let x = UnsafeRawPointer(src + a + l).loadUnaligned(as: UInt64.self)
            let y = UnsafeRawPointer(src + b + l).loadUnaligned(as: UInt64.self)
            if x != y { return l + (x ^ y).trailingZeroBitCount / 8 }
            l += 8
        }
        while b + l < end && src[a + l] == src[b + l] { l += 1 }
        return l
    }

    /// Best match for position `i` (already hashed but not inserted): (length, offset).
    func findMatch(_ i: Int, _ end: Int) -> (Int, Int) {
        var bestLen = 0, bestOff = 0
        if rep1 <= i {
            let l = matchLength(i - rep1, i, end)
            if l >= Self.minMatch { bestLen = l; bestOff = rep1 }
        }
        var cand = Int(head[hash(i)])
        var tries = depth
        let v = read32(i)
        while cand >= 0 && tries > 0 {
            let dist = i - cand
            if dist > maxDistance || dist <= 0 { break }
            if read32(cand) == v {
                let l = matchLength(cand, i, end)
                if l > bestLen + (bestOff == rep1 ? 1 : 0) { bestLen = l; bestOff = dist }
            }
            tries -= 1
            if chainMask == 0 { break }
            let next = Int(chain[cand & chainMask])
            if next >= cand { break }
            cand = next
        }
        return (bestLen, bestOff)
    }

    /// Builds the body of a compressed block for [start, end), or nil if it cannot (never for valid input).
    mutating func compressedBlock(_ start: Int, _ end: Int) -> [UInt8]? {
        var seqs: [ZstdSequence] = []
        var literals: [UInt8] = []
        literals.reserveCapacity(end - start)
        var anchor = start
        var i = start
        let limit = end - 8
        var misses = 0
        while i < limit {
            var (len, off) = findMatch(i, end)
            if len < Self.minMatch {
                insert(i)
                misses += 1
                i += 1 + (misses >> skipShift)
                continue
            }
            if lazy && i + 1 < limit {
                insert(i)
                let (l2, o2) = findMatch(i + 1, end)
                if l2 > len + 1 {
                    i += 1
                    len = l2
                    off = o2
                }
            }
            misses = 0
            // Extend backwards over pending literals.
            while i > anchor && i - off > 0 && src[i - 1] == src[i - off - 1] && len < 65536 {
                i -= 1
                len += 1
            }
            literals.append(contentsOf: UnsafeBufferPointer(start: src + anchor, count: i - anchor))
            seqs.append(ZstdSequence(litLength: i - anchor, matchLength: len, offsetValue: offsetValue(off, litLength: i - anchor)))
            insertRange(i, min(i + len, limit))
            i += len
            anchor = i
        }
        literals.append(contentsOf: UnsafeBufferPointer(start: src + anchor, count: end - anchor))
        var body: [UInt8] = []
        body.reserveCapacity(literals.count + seqs.count * 3 + 16)
        // Literals section: RLE when all equal, else raw.
        let rle = literals.count > 1 && literals.allSatisfy { $0 == literals[0] }
        let type = rle ? 1 : 0
        let c = literals.count
        if c < 32 {
            body.append(UInt8(type | c << 3))
        } else if c < 4096 {
            body.append(UInt8(truncatingIfNeeded: type | 1 << 2 | (c & 15) << 4))
            body.append(UInt8(truncatingIfNeeded: c >> 4))
        } else {
            body.append(UInt8(truncatingIfNeeded: type | 3 << 2 | (c & 15) << 4))
            body.append(UInt8(truncatingIfNeeded: c >> 4))
            body.append(UInt8(truncatingIfNeeded: c >> 12))
        }
        if rle { body.append(literals[0]) } else { body += literals }
        // Sequences section.
        let ns = seqs.count
        if ns < 128 {
            body.append(UInt8(ns))
        } else if ns < 0x7F00 {
            body.append(UInt8(ns >> 8 + 128))
            body.append(UInt8(ns & 255))
        } else {
            body.append(255)
            body.append(UInt8((ns - 0x7F00) & 255))
            body.append(UInt8((ns - 0x7F00) >> 8))
        }
        if ns == 0 { return body }
        body.append(0)  // predefined tables for all three codes
        body += encodeSequences(seqs)
        return body
    }

    /// Chooses the Offset_Value for a match at distance `off` and updates the repeat offsets like the decoder.
    mutating func offsetValue(_ off: Int, litLength ll: Int) -> Int {
        if ll > 0 {
            if off == rep1 { return 1 }
            if off == rep2 { (rep1, rep2) = (rep2, rep1); return 2 }
            if off == rep3 { (rep1, rep2, rep3) = (rep3, rep1, rep2); return 3 }
        } else {
            if off == rep2 { (rep1, rep2) = (rep2, rep1); return 1 }
            if off == rep3 { (rep1, rep2, rep3) = (rep3, rep1, rep2); return 2 }
            if off == rep1 - 1 { (rep1, rep2, rep3) = (rep1 - 1, rep1, rep2); return 3 }
        }
        (rep1, rep2, rep3) = (off, rep1, rep2)
        return off + 3
    }

    static func llCode(_ ll: Int) -> Int { ll < 64 ? Int(llCodeTable[ll]) : zstdHighBit(ll) + 19 }
    static func mlCode(_ ml: Int) -> Int { ml - 3 < 128 ? Int(mlCodeTable[ml - 3]) : zstdHighBit(ml - 3) + 36 }

    func encodeSequences(_ seqs: [ZstdSequence]) -> [UInt8] {
        let ll = Self.llEncoder, ml = Self.mlEncoder, of = Self.ofEncoder
        var w = ZstdBitWriter()
        w.bytes.reserveCapacity(seqs.count * 4 + 8)
        let n = seqs.count
        var llc = [Int](repeating: 0, count: n), mlc = llc, ofc = llc
        for (k, s) in seqs.enumerated() {
            llc[k] = Self.llCode(s.litLength)
            mlc[k] = Self.mlCode(s.matchLength)
            ofc[k] = zstdHighBit(s.offsetValue)
        }
        func extras(_ k: Int, _ w: inout ZstdBitWriter) {
            let s = seqs[k]
            w.add(s.litLength - Int(ZstdTables.llBase[llc[k]]), Int(ZstdTables.llBits[llc[k]]))
            w.add(s.matchLength - Int(ZstdTables.mlBase[mlc[k]]), Int(ZstdTables.mlBits[mlc[k]]))
            w.add(s.offsetValue - (1 << ofc[k]), ofc[k])
        }
        var llS = ll.initial(llc[n - 1]), mlS = ml.initial(mlc[n - 1]), ofS = of.initial(ofc[n - 1])
        extras(n - 1, &w)
        var k = n - 2
        while k >= 0 {
            of.encode(ofc[k], &ofS, &w)
            ml.encode(mlc[k], &mlS, &w)
            ll.encode(llc[k], &llS, &w)
            extras(k, &w)
            k -= 1
        }
        ml.flush(mlS, &w)
        of.flush(ofS, &w)
        ll.flush(llS, &w)
        return w.finish()
    }
}
