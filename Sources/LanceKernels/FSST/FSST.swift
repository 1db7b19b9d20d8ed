/// FSST string compression with the symbol-table layout Lance writes.
///
/// Serialized symbol table (always `tableSize` = 2312 bytes when we write it):
/// - a little-endian u64 header: bits 32...63 are "FSST" (0x46535354), bit 24 is set when the strings are
///   really compressed (when clear, the "compressed" bytes are the raw bytes), bits 16...23 and 8...15 are
///   encoder bookkeeping that decoders ignore, bits 0...7 the number of symbols `n` (at most 255);
/// - `n` symbols of 8 bytes each (little-endian, unused high bytes zero);
/// - `n` symbol lengths, one byte each (1...8); zero padding up to 2312 bytes.
///
/// Compressed strings are sequences of codes: a code `c < n` stands for symbol `c`, code 255 is followed by
/// one literal byte. Each string is compressed on its own.
public enum FSST {
    public static let tableSize = 8 + 256 * 8 + 256
    static let magic: UInt64 = 0x4653_5354
    static let escape: UInt8 = 255
    /// Inputs smaller than this are stored raw (flag bit clear), as the Rust encoder does.
    public static let defaultMinimumInputSize = 32 * 1024

    // MARK: - Decoding

    /// A parsed symbol table.
    public struct SymbolTable: Sendable, Equatable {
        /// Symbols as little-endian words (index = code).
        public var symbols: [UInt64]
        public var lengths: [UInt8]
        /// Whether the data is really compressed (bit 24 of the header).
        public var isCompressed: Bool

        public init(symbols: [UInt64], lengths: [UInt8], isCompressed: Bool) {
            self.symbols = symbols
            self.lengths = lengths
            self.isCompressed = isCompressed
        }

        /// Parses the serialized layout. Accepts any size that holds the header, the symbols and the lengths.
        public init(serialized raw: UnsafeRawBufferPointer) throws(CodecError) {
            guard raw.count >= 8 else { throw CodecError(.truncated, "fsst symbol table shorter than its header") }
            let header = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            guard header >> 32 == FSST.magic else { throw CodecError(.corrupt, "fsst symbol table lacks the FSST magic") }
            let n = Int(header & 0xFF)
            guard raw.count >= 8 + 9 * n else { throw CodecError(.truncated, "fsst symbol table too short for \(n) symbols") }
            isCompressed = header & (1 << 24) != 0
            symbols = (0..<n).map { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 + 8 * $0, as: UInt64.self)) }
            lengths = (0..<n).map { raw[8 + 8 * n + $0] }
            if isCompressed {
                for (i, len) in lengths.enumerated() where len == 0 || len > 8 {
                    throw CodecError(.corrupt, "fsst symbol \(i) has length \(len)", offset: 8 + 8 * n + i)
                }
            }
        }

        /// The serialized layout (2312 bytes).
        public func serialized() -> [UInt8] {
            precondition(symbols.count <= 255 && symbols.count == lengths.count)
            var out = [UInt8](repeating: 0, count: FSST.tableSize)
            let header = FSST.magic << 32 | (isCompressed ? 1 << 24 : 0) | UInt64(symbols.count)
            out.withUnsafeMutableBytes { p in
                p.storeBytes(of: header.littleEndian, as: UInt64.self)
                for (i, s) in symbols.enumerated() { p.storeBytes(of: s.littleEndian, toByteOffset: 8 + 8 * i, as: UInt64.self) }
            }
            for (i, l) in lengths.enumerated() { out[8 + 8 * symbols.count + i] = l }
            return out
        }
    }

    /// Decompresses `offsets.count - 1` strings. `offsets` index into `compressed`. Returns offsets
    /// (starting at 0) into the returned bytes.
    public static func decompress(symbolTable: UnsafeRawBufferPointer, compressed: UnsafeRawBufferPointer,
                                  offsets: [Int]) throws(CodecError) -> (offsets: [Int], bytes: [UInt8]) {
        let table = try SymbolTable(serialized: symbolTable)
        return try decompress(table: table, compressed: compressed, offsets: offsets)
    }

    /// Array convenience.
    public static func decompress(symbolTable: [UInt8], compressed: [UInt8], offsets: [Int]) throws(CodecError)
        -> (offsets: [Int], bytes: [UInt8])
    {
        var result: Result<(offsets: [Int], bytes: [UInt8]), CodecError> = .success(([], []))
        symbolTable.withUnsafeBytes { t in
            compressed.withUnsafeBytes { c in
                do throws(CodecError) { result = .success(try decompress(symbolTable: t, compressed: c, offsets: offsets)) } catch {
                    result = .failure(error)
                }
            }
        }
        return try result.get()
    }

    /// Decompresses with an already parsed table.
    public static func decompress(table: SymbolTable, compressed: UnsafeRawBufferPointer, offsets: [Int]) throws(CodecError)
        -> (offsets: [Int], bytes: [UInt8])
    {
        guard let first = offsets.first else { throw CodecError(.corrupt, "fsst needs at least one offset") }
        var previous = first
        for o in offsets {
            guard o >= previous, o <= compressed.count else {
                throw CodecError(.corrupt, "fsst offset \(o) out of order or past the \(compressed.count)-byte data")
            }
            previous = o
        }
        let last = offsets[offsets.count - 1]
        guard first >= 0 else { throw CodecError(.corrupt, "negative fsst offset") }
        if !table.isCompressed {
            let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: compressed[first..<last]))
            return (offsets.map { $0 - first }, bytes)
        }
        guard let src = compressed.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return (offsets.map { _ in 0 }, [])
        }
        var symbols = [UInt64](repeating: 0, count: 256)
        var lengths = [Int](repeating: 0, count: 256)
        for i in 0..<table.symbols.count {
            symbols[i] = table.symbols[i]
            lengths[i] = Int(table.lengths[i])
        }
        let n = table.symbols.count
        // Pass 1: validate the codes and size every string, so the output is allocated exactly.
        var outOffsets = [Int](repeating: 0, count: offsets.count)
        var op = 0
        for s in 1..<offsets.count {
            var ip = offsets[s - 1]
            let end = offsets[s]
            while ip < end {
                let code = src[ip]
                ip += 1
                if code != FSST.escape {
                    guard Int(code) < n else { throw CodecError(.corrupt, "fsst code \(code) with \(n) symbols", offset: ip - 1) }
                    op += lengths[Int(code)]
                } else {
                    guard ip < end else { throw CodecError(.corrupt, "fsst escape at the end of a string", offset: ip - 1) }
                    ip += 1
                    op += 1
                }
            }
            outOffsets[s] = op
        }
        let total = op
        // Pass 2: expand. Each symbol is stored as a whole word, so keep 8 bytes of room at the end.
        let bytes = [UInt8](unsafeUninitializedCapacity: total + 8) { out, initialized in
            let dst = UnsafeMutableRawPointer(out.baseAddress!)
            var op = 0
            symbols.withUnsafeBufferPointer { sym in
                lengths.withUnsafeBufferPointer { len in
                    var ip = first
                    while ip < last {
                        let code = Int(src[ip])
                        if code != 255 {
                            dst.storeBytes(of: sym[code].littleEndian, toByteOffset: op, as: UInt64.self)
                            op &+= len[code]
                            ip &+= 1
                        } else {
                            dst.storeBytes(of: src[ip &+ 1], toByteOffset: op, as: UInt8.self)
                            op &+= 1
                            ip &+= 2
                        }
                    }
                }
            }
            initialized = total
        }
        return (outOffsets, bytes)
    }

    // MARK: - Encoding

    /// Trains a symbol table on the strings and compresses them. `offsets` (n+1) index into `bytes`.
    /// Inputs under 32 KiB are stored raw (flag bit clear), like the Rust encoder.
    public static func compress(bytes: UnsafeRawBufferPointer, offsets: [Int])
        -> (symbolTable: [UInt8], offsets: [Int], bytes: [UInt8]) {
        compress(bytes: bytes, offsets: offsets, minimumInputSize: defaultMinimumInputSize)
    }

    /// As `compress(bytes:offsets:)`, with the raw-storage threshold given (0 always compresses).
    public static func compress(bytes: UnsafeRawBufferPointer, offsets: [Int], minimumInputSize: Int)
        -> (symbolTable: [UInt8], offsets: [Int], bytes: [UInt8]) {
        precondition(!offsets.isEmpty, "fsst needs at least one offset")
        let first = offsets[0], last = offsets[offsets.count - 1]
        if last - first < minimumInputSize {
            let table = SymbolTable(symbols: [], lengths: [], isCompressed: false)
            return (table.serialized(), offsets.map { $0 - first }, [UInt8](UnsafeRawBufferPointer(rebasing: bytes[first..<last])))
        }
        let table = train(bytes: bytes, offsets: offsets)
        let (outOffsets, out) = compress(bytes: bytes, offsets: offsets, table: table)
        return (table.serialized(), outOffsets, out)
    }

    /// Array convenience.
    public static func compress(strings: [[UInt8]], minimumInputSize: Int = defaultMinimumInputSize)
        -> (symbolTable: [UInt8], offsets: [Int], bytes: [UInt8]) {
        var offsets = [0]
        for s in strings { offsets.append(offsets[offsets.count - 1] + s.count) }
        let flat = strings.flatMap { $0 }
        return flat.withUnsafeBytes { compress(bytes: $0, offsets: offsets, minimumInputSize: minimumInputSize) }
    }

    /// Compresses strings with a given (compressed-mode) table.
    public static func compress(bytes: UnsafeRawBufferPointer, offsets: [Int], table: SymbolTable) -> (offsets: [Int], bytes: [UInt8]) {
        let matcher = Matcher(table: table)
        var out: [UInt8] = []
        out.reserveCapacity((offsets[offsets.count - 1] - offsets[0]) + 16)
        var outOffsets = [0]
        outOffsets.reserveCapacity(offsets.count)
        for s in 1..<offsets.count {
            var p = offsets[s - 1]
            let end = offsets[s]
            while p < end {
                let (code, length) = matcher.longest(bytes, p, end)
                if code >= 0 {
                    out.append(UInt8(code))
                    p += length
                } else {
                    out.append(escape)
                    out.append(bytes[p])
                    p += 1
                }
            }
            outOffsets.append(out.count)
        }
        return (outOffsets, out)
    }

    struct Symbol: Hashable {
        var value: UInt64
        var length: Int

        static func byte(_ b: UInt8) -> Symbol { Symbol(value: UInt64(b), length: 1) }

        func appending(_ other: Symbol) -> Symbol? {
            guard length + other.length <= 8 else { return nil }
            return Symbol(value: value | other.value << UInt64(8 * length), length: length + other.length)
        }
    }

    /// Greedy longest-symbol lookup: one slot per 3-byte prefix for symbols of 3...8 bytes, a direct table
    /// for 2-byte symbols and one for single bytes.
    struct Matcher {
        static let slotBits = 12
        var code1: [Int16]          // byte -> code of that 1-byte symbol, or -1
        var code2: [Int16]          // 2 bytes (little-endian) -> code of that 2-byte symbol, or -1
        var slotValue: [UInt64]
        var slotLength: [Int]       // 0 = empty
        var slotCode: [Int16]
        /// Symbols actually present, in code order.
        var symbols: [Symbol] = []

        @inline(__always)
        static func slot(_ word: UInt64) -> Int { Int(((word & 0xFF_FFFF) &* 2_971_215_073) >> 15) & ((1 << slotBits) - 1) }

        private init() {
            code1 = [Int16](repeating: -1, count: 256)
            code2 = [Int16](repeating: -1, count: 65536)
            slotValue = [UInt64](repeating: 0, count: 1 << Self.slotBits)
            slotLength = [Int](repeating: 0, count: 1 << Self.slotBits)
            slotCode = [Int16](repeating: -1, count: 1 << Self.slotBits)
        }

        /// Registers `s` under `code`; false when an equal-prefix symbol already holds its place.
        private mutating func place(_ s: Symbol, code: Int16) -> Bool {
            switch s.length {
            case 1:
                guard code1[Int(s.value)] < 0 else { return false }
                code1[Int(s.value)] = code
            case 2:
                guard code2[Int(s.value)] < 0 else { return false }
                code2[Int(s.value)] = code
            default:
                let h = Self.slot(s.value)
                guard slotLength[h] == 0 else { return false }
                slotValue[h] = s.value
                slotLength[h] = s.length
                slotCode[h] = code
            }
            return true
        }

        /// Builds from candidates in priority order, numbering kept symbols 0, 1, ...; a long symbol whose
        /// prefix slot is taken is dropped.
        init(_ candidates: [Symbol], limit: Int = 255) {
            self.init()
            for s in candidates where symbols.count < limit {
                if place(s, code: Int16(symbols.count)) { symbols.append(s) }
            }
        }

        /// Uses an existing table's codes (symbols that cannot be placed are simply never emitted).
        init(table: SymbolTable) {
            self.init()
            for i in table.symbols.indices {
                let len = Int(table.lengths[i])
                guard len >= 1 && len <= 8 else { continue }
                let mask: UInt64 = len == 8 ? ~0 : (1 << UInt64(8 * len)) - 1
                _ = place(Symbol(value: table.symbols[i] & mask, length: len), code: Int16(i))
            }
        }

        /// The code and length of the longest symbol at `p` (not reaching past `end`), or (-1, 1).
        @inline(__always)
        func longest(_ bytes: UnsafeRawBufferPointer, _ p: Int, _ end: Int) -> (Int, Int) {
            let rem = end - p
            let word: UInt64
            if rem >= 8 {
                word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: p, as: UInt64.self))
            } else {
                var w: UInt64 = 0
                for i in 0..<rem { w |= UInt64(bytes[p + i]) << UInt64(8 * i) }
                word = w
            }
            if rem >= 3 {
                let h = Self.slot(word)
                let len = slotLength[h]
                if len > 0 && len <= rem {
                    let mask: UInt64 = len == 8 ? ~0 : (1 << UInt64(8 * len)) - 1
                    if word & mask == slotValue[h] { return (Int(slotCode[h]), len) }
                }
            }
            if rem >= 2 {
                let c = code2[Int(word & 0xFFFF)]
                if c >= 0 { return (Int(c), 2) }
            }
            let c = code1[Int(word & 0xFF)]
            return c >= 0 ? (Int(c), 1) : (-1, 1)
        }
    }

    static let sampleTarget = 1 << 14

    /// Builds a symbol table with the FSST paper's iterative training: five rounds over a growing part of a
    /// ~16 KiB sample; each round compresses the sample with the current table, counts how often each symbol
    /// and each adjacent pair of symbols occurs, and keeps the 255 candidates (symbols and concatenated pairs
    /// of at most 8 bytes) with the highest gain = frequency x length.
    public static func train(bytes: UnsafeRawBufferPointer, offsets: [Int]) -> SymbolTable {
        // Deterministic sample: whole strings picked with a fixed-seed generator until ~16 KiB.
        var sample: [(Int, Int)] = []
        let total = offsets[offsets.count - 1] - offsets[0]
        let count = offsets.count - 1
        if total <= sampleTarget {
            for i in 0..<count where offsets[i + 1] > offsets[i] { sample.append((offsets[i], offsets[i + 1])) }
        } else {
            var state: UInt64 = 0x5EED_F557
            var size = 0
            var tries = 0
            while size < sampleTarget && tries < 16 * count + 64 {
                tries += 1
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let i = Int((state >> 33) % UInt64(count))
                let len = offsets[i + 1] - offsets[i]
                guard len > 0 else { continue }
                // Very long strings contribute a 512-byte window.
                let start = offsets[i], end = min(offsets[i + 1], start + 512)
                sample.append((start, end))
                size += end - start
            }
        }

        var matcher = Matcher([])
        // Pseudo-codes: 0...255 single bytes (escapes), 256 + i symbol i.
        let codeSpace = 256 + 255
        var count1 = [Int](repeating: 0, count: codeSpace)
        var count2 = [Int32](repeating: 0, count: codeSpace * codeSpace)
        for round in 0..<5 {
            let fraction = 8 + 30 * round  // out of 128: 8, 38, 68, 98, 128
            let final = round == 4
            for i in count1.indices { count1[i] = 0 }
            if !final { count2.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            for (k, (start, end)) in sample.enumerated() {
                if !final && (k &* 0x9E37_79B1) >> 5 & 127 >= fraction { continue }
                var p = start
                var prev = -1
                while p < end {
                    let (c, len) = matcher.longest(bytes, p, end)
                    let code = c >= 0 ? 256 + c : Int(bytes[p])
                    count1[code] += 1
                    // Also count the first byte alone, so single bytes stay candidates if the symbol is dropped.
                    if c >= 0 && len > 1 { count1[Int(bytes[p])] += 1 }
                    if !final && prev >= 0 { count2[prev * codeSpace + code] &+= 1 }
                    prev = code
                    p += c >= 0 ? len : 1
                }
            }
            func symbol(_ code: Int) -> Symbol { code < 256 ? .byte(UInt8(code)) : matcher.symbols[code - 256] }
            var gains: [Symbol: Int] = [:]
            for code in 0..<(256 + matcher.symbols.count) where count1[code] > 0 {
                let s = symbol(code)
                // Single bytes get a boost: they keep escapes (2 bytes each) away.
                gains[s, default: 0] += count1[code] * (s.length == 1 ? 8 : s.length)
            }
            if !final {
                let live = (0..<(256 + matcher.symbols.count)).filter { count1[$0] > 0 }
                for a in live {
                    let sa = symbol(a)
                    for b in live {
                        let n = Int(count2[a * codeSpace + b])
                        guard n > 0, let s = sa.appending(symbol(b)) else { continue }
                        gains[s, default: 0] += n * s.length
                    }
                }
            }
            let ranked = gains.sorted { x, y in
                x.value != y.value ? x.value > y.value : (x.key.length != y.key.length ? x.key.length > y.key.length : x.key.value < y.key.value)
            }
            matcher = Matcher(ranked.prefix(1024).map { $0.key })
        }
        return SymbolTable(symbols: matcher.symbols.map { $0.value }, lengths: matcher.symbols.map { UInt8($0.length) },
                           isCompressed: true)
    }
}
