// Zstandard encoder: a hash-chain LZ77 match finder feeding compressed blocks whose literals are raw,
// RLE or Huffman-coded and whose sequences use the predefined FSE tables or per-block FSE/RLE tables
// (whichever is smaller); raw and RLE blocks where they are smaller. Matches never cross a block.
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
    /// Estimated cost of one literal in the current block, in quarter bits (from its byte histogram).
    var literalQuarterBits = 32
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
        head[h] = Int32(truncatingIfNeeded: i)
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
                // Short matches far away cost more bits than the literals they replace.
                // (about 16 bits of codes plus the offset's extra bits, against the literals' estimated cost)
                let needed = max(Self.minMatch, (zstdHighBit(dist + 3) + 16) * 4 / literalQuarterBits + 1)
                if l >= needed && l > bestLen + (bestOff == rep1 ? 1 : 0) { bestLen = l; bestOff = dist }
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
        literalQuarterBits = estimateLiteralCost(start, end)
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
        body += Self.literalsSection(literals)
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
        body += sequencesPayload(seqs)
        return body
    }

    /// Raw or RLE literals section header plus payload.
    static func rawLiterals(_ literals: [UInt8], rle: Bool) -> [UInt8] {
        var body: [UInt8] = []
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
        return body
    }

    /// The smallest of raw, RLE and Huffman-coded literals.
    static func literalsSection(_ literals: [UInt8]) -> [UInt8] {
        if literals.count > 1 && literals.allSatisfy({ $0 == literals[0] }) { return rawLiterals(literals, rle: true) }
        let raw = rawLiterals(literals, rle: false)
        if literals.count >= 64, let huf = huffmanLiterals(literals), huf.count < raw.count { return huf }
        return raw
    }

    /// Code lengths (≤ 11 bits, complete prefix code) for the byte frequencies, or nil if fewer than two symbols.
    static func huffmanLengths(_ freq: [Int]) -> [Int]? {
        let maxLen = 11
        let used = (0..<256).filter { freq[$0] > 0 }
        guard used.count >= 2 else { return nil }
        let total = freq.reduce(0, +)
        var len = [Int](repeating: 0, count: 256)
        for s in used {
            var l = 1
            while l < maxLen && (freq[s] << l) < total { l += 1 }
            len[s] = l
        }
        let target = 1 << maxLen
        var kraft = used.reduce(0) { $0 + (1 << (maxLen - len[$1])) }
        let ascending = used.sorted { freq[$0] < freq[$1] }
        while kraft > target {
            for s in ascending where len[s] < maxLen {
                kraft -= 1 << (maxLen - len[s] - 1)
                len[s] += 1
                if kraft <= target { break }
            }
        }
        let descending = ascending.reversed()
        while kraft < target {
            var changed = false
            for s in descending where len[s] > 1 && kraft + (1 << (maxLen - len[s])) <= target {
                kraft += 1 << (maxLen - len[s])
                len[s] -= 1
                changed = true
            }
            if !changed { return nil }
        }
        return len
    }

    /// Huffman-compressed literals (weights in direct representation), or nil when not applicable.
    static func huffmanLiterals(_ literals: [UInt8]) -> [UInt8]? {
        var freq = [Int](repeating: 0, count: 256)
        for b in literals { freq[Int(b)] += 1 }
        guard let len = huffmanLengths(freq) else { return nil }
        let maxBits = len.max()!
        let maxSym = (0..<256).last { len[$0] > 0 }!
        var weight = [Int](repeating: 0, count: 256)
        for s in 0..<256 where len[s] > 0 { weight[s] = maxBits + 1 - len[s] }
        // Canonical codes in the decoder's table order: by weight, then by symbol.
        var code = [Int](repeating: 0, count: 256)
        var pos = 0
        for w in 1...maxBits {
            for s in 0...maxSym where weight[s] == w {
                code[s] = pos >> (w - 1)
                pos += 1 << (w - 1)
            }
        }
        // Tree description: the last symbol's weight is implied.
        var tree: [UInt8] = []
        if maxSym <= 128 {
            tree.append(UInt8(127 + maxSym))
            var k = 0
            while k < maxSym {
                let hi = weight[k], lo = k + 1 < maxSym ? weight[k + 1] : 0
                tree.append(UInt8(hi << 4 | lo))
                k += 2
            }
        } else {
            guard let fse = fseWeights(Array(weight[0..<maxSym])) else { return nil }
            tree = fse
        }
        func stream(_ from: Int, _ to: Int) -> [UInt8] {
            var w = ZstdBitWriter()
            w.bytes.reserveCapacity((to - from) * maxBits / 8 + 8)
            var i = to - 1
            while i >= from {
                let s = Int(literals[i])
                w.add(code[s], len[s])
                i -= 1
            }
            return w.finish()
        }
        let c = literals.count
        var payload = tree
        let four = c >= 256
        if four {
            let seg = (c + 3) / 4
            let s1 = stream(0, seg), s2 = stream(seg, 2 * seg), s3 = stream(2 * seg, 3 * seg), s4 = stream(3 * seg, c)
            guard s1.count <= 0xFFFF, s2.count <= 0xFFFF, s3.count <= 0xFFFF else { return nil }
            for x in [s1.count, s2.count, s3.count] { payload += [UInt8(x & 255), UInt8(x >> 8)] }
            payload += s1 + s2 + s3 + s4
        } else {
            payload += stream(0, c)
        }
        let comp = payload.count
        var header: [UInt8]
        if !four {
            guard c <= 1023, comp <= 1023 else { return nil }
            let h = 2 | 0 << 2 | c << 4 | comp << 14
            header = [UInt8(h & 255), UInt8((h >> 8) & 255), UInt8(h >> 16)]
        } else if c <= 1023 && comp <= 1023 {
            let h = 2 | 1 << 2 | c << 4 | comp << 14
            header = [UInt8(h & 255), UInt8((h >> 8) & 255), UInt8(h >> 16)]
        } else if c <= 16383 && comp <= 16383 {
            let h = 2 | 2 << 2 | c << 4 | comp << 18
            header = [UInt8(h & 255), UInt8((h >> 8) & 255), UInt8((h >> 16) & 255), UInt8(h >> 24)]
        } else if c <= 262_143 && comp <= 262_143 {
            let h = 2 | 3 << 2 | c << 4 | comp << 22
            header = (0..<5).map { UInt8((h >> (8 * $0)) & 255) }
        } else {
            return nil
        }
        return header + payload
    }

    /// FSE-compressed Huffman weights (for alphabets above 128 symbols), or nil if that does not fit.
    static func fseWeights(_ weights: [Int]) -> [UInt8]? {
        let n = weights.count
        guard n >= 2 else { return nil }
        let log = 6, size = 1 << log
        var freq = [Int](repeating: 0, count: 13)
        for w in weights { freq[w] += 1 }
        // Normalize to 64 with every used value in 1...32 (so that every state transition reads at
        // least one bit, which is what ends the decoder's two-state loop at the right symbol).
        var norm = freq.map { $0 == 0 ? 0 : min(32, max(1, ($0 * size + n / 2) / n)) }
        var sum = norm.reduce(0, +)
        while sum != size {
            let order = (0..<13).filter { norm[$0] > 0 }.sorted { freq[$0] > freq[$1] }
            var moved = false
            for v in order {
                if sum < size && norm[v] < 32 { norm[v] += 1; sum += 1; moved = true; break }
                if sum > size && norm[v] > 1 { norm[v] -= 1; sum -= 1; moved = true; break }
            }
            if !moved { return nil }
        }
        var w = ZstdBitWriter()
        Self.writeCounts(norm, log: log, &w)
        w.flush()
        var header = w.bytes
        if w.count > 0 { header.append(UInt8(truncatingIfNeeded: w.acc)) }
        // Two interleaved states: even positions on the first, odd on the second.
        let enc = ZstdFSEEncoder(norm.map { Int16($0) }, log: log)
        var bits = ZstdBitWriter()
        var state = [0, 0]
        state[(n - 1) & 1] = enc.initial(weights[n - 1])
        state[(n - 2) & 1] = enc.initial(weights[n - 2])
        var i = n - 3
        while i >= 0 {
            enc.encode(weights[i], &state[i & 1], &bits)
            i -= 1
        }
        enc.flush(state[1], &bits)
        enc.flush(state[0], &bits)
        let body = header + bits.finish()
        guard body.count < 128 else { return nil }
        return [UInt8(body.count)] + body
    }

    /// Shannon code length of the block's bytes, averaged, in quarter bits (4...32).
    func estimateLiteralCost(_ start: Int, _ end: Int) -> Int {
        var freq = [Int](repeating: 0, count: 256)
        for i in start..<end { freq[Int(src[i])] += 1 }
        let total = end - start
        var bits = 0
        for c in freq where c > 0 {
            var l = 0
            while l < 8 && (c << l) < total { l += 1 }
            bits += c * l
        }
        return min(32, max(4, bits * 4 / max(1, total)))
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

    /// Modes byte, table descriptions and bitstream: predefined tables, or per-block tables (FSE or
    /// RLE) built from the code histograms, whichever is smaller.
    func sequencesPayload(_ seqs: [ZstdSequence]) -> [UInt8] {
        let n = seqs.count
        var codes = [[Int]](repeating: [Int](repeating: 0, count: n), count: 3)  // LL, OF, ML
        for (k, s) in seqs.enumerated() {
            codes[0][k] = Self.llCode(s.litLength)
            codes[1][k] = zstdHighBit(s.offsetValue)
            codes[2][k] = Self.mlCode(s.matchLength)
        }
        let predefined = [UInt8(0)] + encodeSequences(seqs, codes, [Self.llEncoder, Self.ofEncoder, Self.mlEncoder])
        guard n >= 16 else { return predefined }
        var modes = 0
        var tables: [UInt8] = []
        var encoders: [ZstdFSEEncoder?] = []
        let kinds: [ZstdSeqKind] = [.literalLength, .offset, .matchLength]
        for (i, kind) in kinds.enumerated() {
            var freq = [Int](repeating: 0, count: kind.maxSymbol + 1)
            for c in codes[i] { freq[c] += 1 }
            let used = freq.indices.filter { freq[$0] > 0 }
            let shift = 6 - 2 * i
            if used.count == 1 {
                modes |= 1 << shift
                tables.append(UInt8(used[0]))
                encoders.append(nil)
                continue
            }
            let maxSym = used.last!
            let log = min(kind.maxLog, max(5, zstdHighBit(maxSym) + 1, zstdHighBit(n) - 1))
            guard let norm = Self.normalize(freq, log: log) else { return predefined }
            var w = ZstdBitWriter()
            Self.writeCounts(norm, log: log, &w)
            w.flush()
            tables += w.bytes
            if w.count > 0 { tables.append(UInt8(truncatingIfNeeded: w.acc)) }
            modes |= 2 << shift
            encoders.append(ZstdFSEEncoder(norm.map { Int16($0) }, log: log))
        }
        let custom = [UInt8(modes)] + tables + encodeSequences(seqs, codes, encoders)
        return custom.count < predefined.count ? custom : predefined
    }

    /// Normalized counts summing to `1 << log`, every present symbol at least 1.
    static func normalize(_ freq: [Int], log: Int) -> [Int]? {
        let size = 1 << log
        let total = freq.reduce(0, +)
        guard total > 0, freq.filter({ $0 > 0 }).count <= size else { return nil }
        var norm = freq.map { $0 == 0 ? 0 : max(1, $0 * size / total) }
        var sum = norm.reduce(0, +)
        let order = freq.indices.filter { freq[$0] > 0 }.sorted { freq[$0] > freq[$1] }
        var guardCount = 0
        while sum != size {
            guardCount += 1
            if guardCount > 100_000 { return nil }
            for s in order {
                if sum < size { norm[s] += 1; sum += 1 } else if sum > size && norm[s] > 1 { norm[s] -= 1; sum -= 1 }
                if sum == size { break }
            }
        }
        return norm
    }

    /// Writes an FSE table description (the inverse of `ZstdFSE.readCounts`); counts are never −1 here.
    static func writeCounts(_ norm: [Int], log: Int, _ w: inout ZstdBitWriter) {
        let last = norm.indices.last { norm[$0] > 0 }!
        w.add(log - 5, 4)
        var remaining = (1 << log) + 1, threshold = 1 << log, nbBits = log + 1
        var v = 0
        var previousZero = false
        while v <= last {
            if previousZero {
                var run = 0
                while norm[v + run] == 0 { run += 1 }
                v += run
                while run >= 3 { w.add(3, 2); run -= 3 }
                w.add(run, 2)
            }
            let c = norm[v]
            var value = c + 1
            let maxLow = 2 * threshold - 1 - remaining
            if value < maxLow {
                w.add(value, nbBits - 1)
            } else {
                if value >= threshold { value += maxLow }
                w.add(value, nbBits)
            }
            remaining -= c
            previousZero = c == 0
            while remaining < threshold { nbBits -= 1; threshold >>= 1 }
            v += 1
        }
    }

    /// The sequences bitstream; `encoders` are LL, OF, ML (nil: RLE mode, no state bits).
    func encodeSequences(_ seqs: [ZstdSequence], _ codes: [[Int]], _ encoders: [ZstdFSEEncoder?]) -> [UInt8] {
        var w = ZstdBitWriter()
        w.bytes.reserveCapacity(seqs.count * 4 + 8)
        let n = seqs.count
        let llc = codes[0], ofc = codes[1], mlc = codes[2]
        func extras(_ k: Int, _ w: inout ZstdBitWriter) {
            let s = seqs[k]
            w.add(s.litLength - Int(ZstdTables.llBase[llc[k]]), Int(ZstdTables.llBits[llc[k]]))
            w.add(s.matchLength - Int(ZstdTables.mlBase[mlc[k]]), Int(ZstdTables.mlBits[mlc[k]]))
            w.add(s.offsetValue - (1 << ofc[k]), ofc[k])
        }
        let ll = encoders[0], of = encoders[1], ml = encoders[2]
        var llS = ll?.initial(llc[n - 1]) ?? 0, ofS = of?.initial(ofc[n - 1]) ?? 0, mlS = ml?.initial(mlc[n - 1]) ?? 0
        extras(n - 1, &w)
        var k = n - 2
        while k >= 0 {
            of?.encode(ofc[k], &ofS, &w)
            ml?.encode(mlc[k], &mlS, &w)
            ll?.encode(llc[k], &llS, &w)
            extras(k, &w)
            k -= 1
        }
        ml?.flush(mlS, &w)
        of?.flush(ofS, &w)
        ll?.flush(llS, &w)
        return w.finish()
    }
}
